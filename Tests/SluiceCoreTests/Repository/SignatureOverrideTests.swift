import Testing
@testable import SluiceCore

private let file = "models/fraud/4/model.yaml"

@Test func versionConfigReplacesOnlyTheKeysItSets() throws {
    let base = ModelConfig(
        backend: "xgboost", inputs: [TensorSpec(name: "a", datatype: .fp32, shape: [-1, 3])],
        outputs: [TensorSpec(name: "y", datatype: .fp32, shape: [-1])], labels: ["stable": 3])
    let override = try SignatureOverride.parse(
        yaml: "inputs: [{name: a, datatype: FP32, shape: [-1, 4]}]", file: file, backends: standardBackendNames)
    let merged = base.applying(override)
    #expect(merged.inputs == [TensorSpec(name: "a", datatype: .fp32, shape: [-1, 4])])
    #expect(merged.outputs == base.outputs)
    #expect(merged.backend == "xgboost")
    #expect(merged.labels == ["stable": 3])
}

@Test(arguments: ["labels: {stable: 1}", "version_policy: {all: true}", "warmup: false", "instances: 2", "max_queue: 8"])
func versionConfigRefusesModelWideKeys(yaml: String) throws {
    let key = try #require(yaml.split(separator: ":").first.map(String.init))
    #expect(throws: ConfigError(file: file, keyPath: key, reason: "belongs in the model's own model.yaml, not a version's")) {
        try SignatureOverride.parse(yaml: yaml, file: file, backends: standardBackendNames)
    }
}

@Test func versionConfigRefusesUnknownKeys() {
    #expect(throws: ConfigError(file: file, keyPath: "input", reason: "unknown key (expected one of: backend, inputs, outputs)")) {
        try SignatureOverride.parse(yaml: "input: []", file: file, backends: standardBackendNames)
    }
}
