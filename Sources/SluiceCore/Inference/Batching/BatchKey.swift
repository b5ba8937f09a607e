/// What must be equal for two requests to share one backend call: for each input, in order, its
/// name, element type and shape past the batch dimension; and the names of the requested
/// outputs, in order (a backend answers in that order, so `[a, b]` and `[b, a]` do not mix).
///
/// Built once per request by the batcher's driver, on the loop that decoded it, after
/// `DataPlane.prepare` put the inputs in declared order. Rows are not part of the key: requests
/// of any row count merge.
package struct BatchKey: Hashable, Sendable {
    private let inputs: [Input]
    private let outputs: [String]

    private struct Input: Hashable, Sendable {
        let name: String
        let datatype: DataType
        let rowShape: ArraySlice<Int>
    }

    /// The key of `request`, or nil when it cannot be concatenated with another: it has no
    /// input, an input is a scalar (no batch dimension), or its inputs do not agree on a row
    /// count of at least 1 (`TensorBatch.rows(of:)`). Such a request still queues (pass a nil
    /// key to `BatchQueue.enqueue`), and runs alone.
    package init?(_ request: InferenceRequest) {
        guard TensorBatch.rows(of: request) != nil else { return nil }
        inputs = request.inputs.map {
            Input(name: $0.name, datatype: $0.datatype, rowShape: $0.shape.dropFirst())
        }
        outputs = request.outputs.map(\.name)
    }
}
