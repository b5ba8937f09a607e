import SluiceCore
import Testing
@testable import SluiceServer

/// A backend with a fixed two-input, two-output signature; `prepare` never runs it.
private struct SignatureOnly: Backend {
    var platform: String { "test" }
    var inputs: [TensorSpec] {
        [TensorSpec(name: "a", datatype: .fp32, shape: [-1, 2]), TensorSpec(name: "b", datatype: .int64, shape: [-1])]
    }
    var outputs: [TensorSpec] {
        [TensorSpec(name: "p", datatype: .fp32, shape: [-1]), TensorSpec(name: "q", datatype: .int64, shape: [-1])]
    }
    func infer(_ inputs: [Tensor]) throws(ServingError) -> [Tensor] { [] }
}

private let servable = ServableVersion(
    modelName: "m", version: 1, backend: SignatureOnly(), file: "model.test", config: ModelConfig(maxBatchSize: 4))
private let dataPlane = DataPlane(
    manager: ModelManager(
        source: RepositoryScanner(root: "/nonexistent", backends: BackendRegistry([])),
        loader: { (_: BackendLoadRequest) throws(ServingError) -> any Backend in throw .invalidInput("unused") }, log: { _, _ in }),
    isAccepting: { true })

private let a = Tensor(unchecked: "a", shape: [1, 2], data: .fp32([1, 2]))
private let b = Tensor(unchecked: "b", shape: [1], data: .int64([3]))

private func prepareMessage(_ inputs: [Tensor], outputs: [RequestedOutput] = []) -> String? {
    invalidInputMessage { _ = try dataPlane.prepare(InferenceRequest(inputs: inputs, outputs: outputs), for: servable) }
}

@Test func inputsInDeclaredOrderPassThroughUnchanged() throws {
    let request = InferenceRequest(id: "r", inputs: [a, b], outputs: [RequestedOutput(name: "q", binary: true)])
    let prepared = try dataPlane.prepare(request, for: servable)
    #expect(prepared.inputs == [a, b])
    #expect(prepared.id == "r")
    #expect(prepared.outputs == request.outputs)
}

@Test func inputsInAnotherOrderAreReordered() throws {
    let prepared = try dataPlane.prepare(InferenceRequest(inputs: [b, a]), for: servable)
    #expect(prepared.inputs == [a, b])
}

/// The same faults give the same messages whether the inputs came in declared order (the fast
/// path) or not (the general one).
@Test(arguments: [
    ([a, Tensor(unchecked: "b", shape: [1], data: .fp32([3]))], "input 'b' has datatype FP32, model expects INT64"),
    ([Tensor(unchecked: "a", shape: [2], data: .fp32([1, 2])), b], "input 'a' has shape [2], model expects [-1, 2] (-1 is any size)"),
    ([Tensor(unchecked: "a", shape: [5, 2], data: .fp32(Array(repeating: 0, count: 10))), b],
     "input 'a' has a batch of 5 rows, more than max_batch_size 4"),
] as [([Tensor], String)])
func signatureFaultsReadTheSameInEitherOrder(_ inputs: [Tensor], _ message: String) {
    #expect(prepareMessage(inputs) == message)
    #expect(prepareMessage(inputs.reversed()) == message)
}

/// Under dynamic batching a request larger than max_batch_size is accepted (the batcher runs it
/// alone); without, the same request is refused above (`signatureFaultsReadTheSameInEitherOrder`).
@Test(arguments: [[0, 1], [1, 0]])
func dynamicBatchingAcceptsARequestLargerThanMaxBatchSize(_ order: [Int]) throws {
    let batched = ServableVersion(
        modelName: "m", version: 1, backend: SignatureOnly(), file: "model.test",
        config: ModelConfig(maxBatchSize: 4, dynamicBatching: DynamicBatching()))
    let rows = [Tensor(unchecked: "a", shape: [5, 2], data: .fp32(Array(repeating: 0, count: 10))),
                Tensor(unchecked: "b", shape: [5], data: .int64([1, 2, 3, 4, 5]))]
    let prepared = try dataPlane.prepare(InferenceRequest(inputs: order.map { rows[$0] }), for: batched)
    #expect(prepared.inputs == rows)
}

@Test(arguments: [[a, b], [b, a]])
func requestedOutputsAreChecked(_ inputs: [Tensor]) {
    #expect(prepareMessage(inputs, outputs: [RequestedOutput(name: "x")]) == "unknown output 'x' (model 'm' has 'p', 'q')")
    #expect(prepareMessage(inputs, outputs: [RequestedOutput(name: "q"), RequestedOutput(name: "p"), RequestedOutput(name: "q")])
        == "output 'q' is requested more than once")
    #expect(prepareMessage(inputs, outputs: [RequestedOutput(name: "q"), RequestedOutput(name: "q"), RequestedOutput(name: "x")])
        == "output 'q' is requested more than once")
}

@Test func missingUnknownAndRepeatedInputsAreRefused() {
    #expect(prepareMessage([a]) == "missing input 'b' (model 'm' expects 'a' FP32 [-1, 2], 'b' INT64 [-1])")
    #expect(prepareMessage([a, b, Tensor(unchecked: "c", shape: [1], data: .fp32([0]))])
        == "unknown input 'c' (model 'm' expects 'a' FP32 [-1, 2], 'b' INT64 [-1])")
    #expect(prepareMessage([a, a]) == "input 'a' appears more than once")
}
