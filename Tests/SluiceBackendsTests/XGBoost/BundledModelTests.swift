import Foundation
import SluiceBackends
import SluiceCore
import Testing

/// The example repository shipped in models/ loads and answers sensibly.
@Suite struct BundledModelTests {
    /// The checkout's root, from this file's place in Tests/SluiceBackendsTests/XGBoost/.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func load(_ relative: String, inputs: [TensorSpec] = []) throws -> any Backend {
        try Backends.standard.load(BackendLoadRequest(
            file: root.appendingPathComponent(relative).path, backend: "xgboost", inputs: inputs))
    }

    @Test(arguments: ["models/fraud/1/model.json", "models/fraud/2/model.json"])
    func fraudVersionsScoreTheBenchRequest(_ model: String) throws {
        // As models/fraud/model.yaml declares it.
        let backend = try Self.load(model, inputs: [TensorSpec(name: "input", datatype: .fp32, shape: [-1, 20])])
        let body = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.root.appendingPathComponent("bench/infer-1row.json")))
        let request = try #require(((body as? [String: Any])?["inputs"] as? [[String: Any]])?.first)
        let row = try #require(request["data"] as? [NSNumber]).map(\.floatValue)
        let outputs = try backend.infer([Tensor(name: "input", shape: [1, 20], data: .fp32(row))])
        #expect(outputs.map(\.name) == ["probabilities", "label"])
        guard case .fp32(let p) = outputs[0].data, case .int64(let label) = outputs[1].data else {
            Issue.record("unexpected output types")
            return
        }
        #expect(p.count == 2 && abs(p[0] + p[1] - 1) < 1e-6)
        #expect(label == [p[1] > p[0] ? 1 : 0])
    }

    @Test func irisKnowsASetosa() throws {
        let backend = try Self.load("models/iris/1/model.json")
        #expect(backend.outputs.first?.shape == [-1, 3])
        let outputs = try backend.infer([Tensor(name: "input", shape: [1, 4], data: .fp32([5.1, 3.5, 1.4, 0.2]))])
        #expect(outputs.last?.data == .int64([0]))
    }
}
