package import SluiceCore
import SluiceJSON

/// Renders an inference result as a KServe V1 / TF-Serving REST body, in the form the request
/// used: row form answers `{"predictions": [...]}` with one entry per row (the output's row
/// itself for a model with one output, an object naming each output for several); columnar
/// form answers `{"outputs": tensor}` (one output) or `{"outputs": {"name": tensor, …}}`.
/// Tensors are written nested by their shape, as TF Serving writes them.
///
/// Called once per request wherever the inference ran (loop or worker); stateless.
/// Package-visible for the V1 fuzzer (`SluiceFuzz`).
package enum V1ResponseEncoder {
    /// The body for `response` in `form`. Throws `invalidInput` for row form when the outputs
    /// do not share a batch dimension.
    package static func encode(_ response: InferenceResponse, form: V1Request.Form) throws(ServingError) -> [UInt8] {
        let outputs = response.outputs
        var w = JSONWriter(capacity: 64 + 16 * outputs.reduce(0) { $0 + $1.data.count })
        w.beginObject()
        switch form {
        case .columns:
            w.key(literal: "outputs")
            writeOutputs(outputs, row: nil, to: &w)
        case .rows:
            let rows = try batchSize(of: outputs)
            w.key(literal: "predictions")
            w.beginArray()
            for row in 0..<rows { writeOutputs(outputs, row: row, to: &w) }
            w.endArray()
        }
        w.endObject()
        return w.bytes
    }

    /// The only output's value, or an object naming every output's: whole tensors
    /// (`row == nil`) or one row of each.
    private static func writeOutputs(_ outputs: [Tensor], row: Int?, to w: inout JSONWriter) {
        if outputs.count == 1, let only = outputs.first {
            writeNested(only, rows: row, to: &w)
            return
        }
        w.object { w in
            for tensor in outputs {
                w.key(tensor.name)
                writeNested(tensor, rows: row, to: &w)
            }
        }
    }

    /// The rows every output has; row form needs outputs that share a batch dimension.
    private static func batchSize(of outputs: [Tensor]) throws(ServingError) -> Int {
        var rows: Int?
        for tensor in outputs {
            guard let first = tensor.shape.first, rows == nil || rows == first else {
                throw .invalidInput(
                    "the model's outputs do not share a batch dimension (\(outputs.map { "'\($0.name)' \($0.shape)" }.joined(separator: ", "))), so they cannot be answered row by row; send 'inputs' (columnar form) instead of 'instances'")
            }
            rows = first
        }
        return rows ?? 0
    }

    /// The whole tensor (`rows == nil`) or one row of it, as nested arrays.
    private static func writeNested(_ tensor: Tensor, rows row: Int?, to w: inout JSONWriter) {
        let dims = row == nil ? tensor.shape[...] : tensor.shape.dropFirst()
        let rowSize = dims.reduce(1, *)
        let start = (row ?? 0) * rowSize
        switch tensor.data {
        case .bool(let a): nest(a, dims, start, &w) { $0.bool($1) }
        case .uint8(let a): nest(a, dims, start, &w) { $0.int($1) }
        case .uint16(let a): nest(a, dims, start, &w) { $0.int($1) }
        case .uint32(let a): nest(a, dims, start, &w) { $0.int($1) }
        case .uint64(let a): nest(a, dims, start, &w) { $0.int($1) }
        case .int8(let a): nest(a, dims, start, &w) { $0.int($1) }
        case .int16(let a): nest(a, dims, start, &w) { $0.int($1) }
        case .int32(let a): nest(a, dims, start, &w) { $0.int($1) }
        case .int64(let a): nest(a, dims, start, &w) { $0.int($1) }
        case .fp16(let a): nest(a, dims, start, &w) { $0.float(Float($1)) }
        case .fp32(let a): nest(a, dims, start, &w) { $0.float($1) }
        case .fp64(let a): nest(a, dims, start, &w) { $0.double($1) }
        case .bytes(let a): nest(a, dims, start, &w) { $0.string(utf8: $1) }
        }
    }

    /// Writes `values[start...]` shaped as `dims` (a scalar when `dims` is empty). Recurses once
    /// per dimension: shapes come from our own backends, a handful of dimensions deep.
    private static func nest<T>(
        _ values: [T], _ dims: ArraySlice<Int>, _ start: Int, _ w: inout JSONWriter, _ write: (inout JSONWriter, T) -> Void
    ) {
        guard let first = dims.first else {
            if start < values.count { write(&w, values[start]) } else { w.null() }
            return
        }
        let inner = dims.dropFirst()
        let stride = inner.reduce(1, *)
        w.beginArray()
        for i in 0..<first {
            if inner.isEmpty {
                let index = start + i
                if index < values.count { write(&w, values[index]) } else { w.null() }
            } else {
                nest(values, inner, start + i * stride, &w, write)
            }
        }
        w.endArray()
    }
}
