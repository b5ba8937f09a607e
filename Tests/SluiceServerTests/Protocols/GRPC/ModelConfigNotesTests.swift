import Testing
@testable import SluiceServer

/// The gRPC `ModelConfig` carries a backend's notes (an ONNX ZipMap served as its
/// probabilities) as `parameters["notes"]`, the same text V2 metadata answers.
@Suite struct ModelConfigNotesTests {
    static func metadata(notes: [String]) -> ModelMetadata {
        ModelMetadata(
            name: "m", versions: ["1"], platform: "onnx", inputs: [], outputs: [], maxBatchSize: nil, unavailable: [],
            notes: notes)
    }

    @Test func notesBecomeTheNotesParameterJoinedBySemicolons() {
        let config = Inference_ModelConfig(Self.metadata(notes: ["first", "second"]))
        #expect(config.parameters["notes"]?.stringValue == "first; second")
    }

    @Test func withoutNotesThereIsNoParameter() {
        #expect(Inference_ModelConfig(Self.metadata(notes: [])).parameters.isEmpty)
    }
}
