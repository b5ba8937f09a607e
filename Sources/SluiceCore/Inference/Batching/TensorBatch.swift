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
    package static func rows(of request: InferenceRequest) -> Int? { rows(of: request.inputs) }

    /// `rows(of:)` of a request with these inputs.
    package static func rows(of inputs: [Tensor]) -> Int? {
        guard let first = inputs.first?.shape.first, first >= 1 else { return nil }
        for input in inputs {
            guard input.shape.first == first else { return nil }
        }
        return first
    }

    /// Inputs of `requests` (one `BatchKey`, each at least 1 row) concatenated along dimension 0,
    /// in order: input `i` of the result holds input `i` of every request, rows in request order.
    /// Throws `.backendFailure` when the requests do not share a key (the driver's fault, not the
    /// client's) and `.invalidInput` when the merged shape overflows `Int`.
    package static func concat(_ requests: [InferenceRequest]) throws(ServingError) -> [Tensor] {
        guard requests.count > 1 else { return requests.first?.inputs ?? [] }
        return try concat(requests.map(\.inputs), role: "input")
    }

    /// `parts` (lists of tensors alike but for their rows, each at least 1 row) concatenated along
    /// dimension 0: tensor `i` of the result holds tensor `i` of every part, rows in part order.
    /// `role` names the tensors in errors (`input`, `output`). The one home of the joining row
    /// arithmetic, for merged requests' inputs and for the outputs of a request's slices
    /// (`SlicedInference`). Throws `.backendFailure` when the parts differ past their rows and
    /// `.invalidInput` when the joined shape overflows `Int`.
    package static func concat(_ parts: [[Tensor]], role: String) throws(ServingError) -> [Tensor] {
        guard let first = parts.first else { return [] }
        guard parts.count > 1 else { return first }
        var merged: [Tensor] = []
        merged.reserveCapacity(first.count)
        for (i, model) in first.enumerated() {
            var rows = 0
            var pieces: [TensorData] = []
            pieces.reserveCapacity(parts.count)
            for part in parts {
                guard i < part.count, part.count == first.count else {
                    throw .backendFailure("batch mixes parts with different \(role)s")
                }
                let tensor = part[i]
                guard tensor.name == model.name, tensor.datatype == model.datatype,
                    let count = tensor.shape.first, count >= 1, tensor.shape.dropFirst() == model.shape.dropFirst()
                else {
                    throw .backendFailure(
                        "batch mixes \(role) '\(model.name)' \(model.shape) with '\(tensor.name)' \(tensor.shape)")
                }
                let (sum, overflow) = rows.addingReportingOverflow(count)
                guard !overflow else { throw .invalidInput("batch of \(role) '\(model.name)' has too many rows") }
                rows = sum
                pieces.append(tensor.data)
            }
            let shape = [rows] + model.shape.dropFirst()
            let count = try Shape.elementCount(shape)
            guard let data = TensorData.joined(pieces, count: count), data.count == count else {
                throw .backendFailure("batch of \(role) '\(model.name)' does not fill its shape \(shape)")
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
