/// The row arithmetic of dynamic batching: requests that share a `BatchKey` become one set of
/// inputs, and one backend call's outputs are cut back into each request's rows.
///
/// Called by the batcher's driver on a worker thread, once per batch around `Backend.infer`.
/// A batch of one request passes through untouched and unchecked, so a request `BatchKey`
/// refuses (a scalar, 0 rows) runs through the same path alone and the lone request pays no copy.
package enum TensorBatch {
    /// The request's batch size: the first dimension its inputs share, or nil when it has no
    /// input, an input is a scalar, the inputs disagree, or they have 0 rows (nothing to merge,
    /// and an output's rows could not be told apart).
    package static func rows(of request: InferenceRequest) -> Int? {
        guard let first = request.inputs.first?.shape.first, first >= 1 else { return nil }
        for input in request.inputs {
            guard input.shape.first == first else { return nil }
        }
        return first
    }

    /// Inputs of `requests` (one `BatchKey`, each at least 1 row) concatenated along dimension 0,
    /// in order: input `i` of the result holds input `i` of every request, rows in request order.
    /// Throws `.backendFailure` when the requests do not share a key (the driver's fault, not the
    /// client's) and `.invalidInput` when the merged shape overflows `Int`.
    package static func concat(_ requests: [InferenceRequest]) throws(ServingError) -> [Tensor] {
        guard let first = requests.first else { return [] }
        guard requests.count > 1 else { return first.inputs }
        var merged: [Tensor] = []
        merged.reserveCapacity(first.inputs.count)
        for (i, model) in first.inputs.enumerated() {
            var rows = 0
            var parts: [TensorData] = []
            parts.reserveCapacity(requests.count)
            for request in requests {
                guard i < request.inputs.count, request.inputs.count == first.inputs.count else {
                    throw .backendFailure("batch mixes requests with different inputs")
                }
                let input = request.inputs[i]
                guard input.name == model.name, input.datatype == model.datatype,
                    let count = input.shape.first, count >= 1, input.shape.dropFirst() == model.shape.dropFirst()
                else {
                    throw .backendFailure(
                        "batch mixes input '\(model.name)' \(model.shape) with '\(input.name)' \(input.shape)")
                }
                let (sum, overflow) = rows.addingReportingOverflow(count)
                guard !overflow else { throw .invalidInput("batch of input '\(model.name)' has too many rows") }
                rows = sum
                parts.append(input.data)
            }
            let shape = [rows] + model.shape.dropFirst()
            let count = try Shape.elementCount(shape)
            guard let data = TensorData.joined(parts, count: count), data.count == count else {
                throw .backendFailure("batch of input '\(model.name)' does not fill its shape \(shape)")
            }
            merged.append(Tensor(unchecked: model.name, shape: shape, data: data))
        }
        return merged
    }

    /// `outputs` of one backend call over requests of `rows` rows (in batch order) cut back into
    /// each request's own outputs: element `j` holds request `j`'s rows of every output, in the
    /// backend's order. Throws `.backendFailure` when an output's first dimension is not the sum
    /// of `rows` or its data does not fill its shape: a backend that answers so cannot be split,
    /// and every request of the batch gets the error.
    package static func split(_ outputs: [Tensor], rows: [Int]) throws(ServingError) -> [[Tensor]] {
        guard rows.count > 1 else { return rows.isEmpty ? [] : [outputs] }
        var total = 0
        for count in rows {
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard count >= 1, !overflow else { throw .backendFailure("batch rows \(rows) cannot be split") }
            total = sum
        }
        var answers = [[Tensor]](repeating: [], count: rows.count)
        for j in answers.indices { answers[j].reserveCapacity(outputs.count) }
        for output in outputs {
            guard output.shape.first == total, let count = try? Shape.elementCount(output.shape),
                count == output.data.count
            else {
                throw .backendFailure(
                    "output '\(output.name)' has shape \(output.shape) and \(output.data.count) elements; the batch has \(total) rows")
            }
            // count == total × perRow exactly, so every offset below is at most count: no overflow.
            let perRow = count / total
            var start = 0
            for (j, n) in rows.enumerated() {
                let shape = [n] + output.shape.dropFirst()
                let data = output.data.slice(start * perRow..<(start + n) * perRow)
                answers[j].append(Tensor(unchecked: output.name, shape: shape, data: data))
                start += n
            }
        }
        return answers
    }
}
