@testable import SluiceBackends
import SluiceCore
import Testing

/// Whether an ONNX graph's outputs are one row per input row, read from the graph's own dims:
/// a named batch symbol shared by every input and output (the CNN, the MLP) or unnamed dynamic
/// first dimensions (skl2onnx's exports) batch; a fixed first dimension (`steps` [1]), a
/// transposed batch or outputs with symbols of their own (Expand's [a, b]) do not.
@Test(arguments: [
    ("mlp/model.onnx", true), ("cnn_variants/model.onnx", true), ("logreg_binary/model.onnx", true),
    ("linear_regression/model.onnx", true), ("hostile/dynamic_dims.onnx", false), ("hostile/expand.onnx", false),
])
func onnxBatchesRowsOnlyWhenEveryFirstDimensionIsTheBatch(file: String, batches: Bool) throws {
    let backend = try Backends.standard.load(BackendLoadRequest(file: ONNXHostileShapeTests.fixture(file), backend: "onnx"))
    #expect(backend.batchesRows == batches)
}

/// model.yaml's declared shapes rename outputs; whether they batch is still the graph's answer.
@Test func aDeclaredSignatureDoesNotOverrideTheGraph() throws {
    let request = BackendLoadRequest(
        file: try ONNXHostileShapeTests.fixture("hostile/expand.onnx"), backend: "onnx",
        outputs: [TensorSpec(name: "y", datatype: .fp32, shape: [-1, -1])])
    let backend = try Backends.standard.load(request)
    #expect(backend.outputs.first?.shape.first == -1)
    #expect(backend.batchesRows == false)
    #expect(backend.batchingRefusal == "backend 'onnx' cannot batch this model: its outputs do not have one row per input row")
}
