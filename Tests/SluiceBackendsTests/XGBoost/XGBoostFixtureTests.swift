import Foundation
import SluiceBackends
import SluiceCore
import Testing

/// Every reference case scores as xgboost's own predict did, within 1e-6.
@Suite struct XGBoostFixtureTests {
    /// Model files under Fixtures/xgboost, as "<case>/<file>". Listed rather than discovered so
    /// each shows up as its own test; `everyFixtureIsListed` keeps the list honest.
    static let models = [
        "binary_logistic/model.json", "binary_logitraw/model.json",
        "multi_softprob/model.json", "multi_softprob/model.ubj", "multi_softmax/model.json",
        "reg_squarederror/model.json", "reg_logistic/model.json", "count_poisson/model.ubj",
        "base_score_logistic/model.json", "base_score_regression/model.json",
        "missing_values/model.json", "deep_tree/model.ubj", "many_trees/model.json",
        "categorical/model.json", "categorical/model.ubj",
        "legacy_binary_logistic/model.json", "legacy_binary_logistic/model.ubj",
        "legacy_multi_softprob/model.json", "dart/model.json", "multi_target/model.json",
    ]

    static func load(_ model: String) throws -> any Backend {
        try Backends.load(BackendLoadRequest(file: XGBoostFixture.path(model), kind: .xgboost))
    }

    @Test(arguments: models)
    func modelAnswersAsXGBoostPredictDid(_ model: String) throws {
        let fixture = try XGBoostFixture(String(model.split(separator: "/")[0]))
        let backend = try Self.load(model)
        let outputs = try backend.infer([fixture.inputTensor])
        try Self.expect(outputs, match: fixture, in: backend)
    }

    @Test(arguments: models)
    func fp64InputsAnswerLikeFP32(_ model: String) throws {
        let fixture = try XGBoostFixture(String(model.split(separator: "/")[0]))
        let backend = try Self.load(model)
        let wide = try Tensor(
            name: "input", shape: [fixture.rows, fixture.cols], data: .fp64(fixture.input.map(Double.init)))
        #expect(try backend.infer([wide]) == backend.infer([fixture.inputTensor]))
    }

    @Test func everyFixtureIsListed() throws {
        let root = try XGBoostFixture.root
        var found: [String] = []
        for folder in try FileManager.default.contentsOfDirectory(atPath: root.path) where folder != "bad" {
            for file in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
            where file.hasPrefix("model.") {
                found.append("\(folder)/\(file)")
            }
        }
        #expect(found.sorted() == Self.models.sorted())
    }

    static func expect(_ outputs: [Tensor], match fixture: XGBoostFixture, in backend: any Backend) throws {
        #expect(outputs.map(\.name) == backend.outputs.map(\.name))
        #expect(Set(outputs.map(\.name)) == Set(fixture.outputs.keys))
        for output in outputs {
            let expected = try #require(fixture.outputs[output.name])
            #expect(output.shape == expected.shape, "\(output.name)")
            #expect(output.datatype.rawValue == expected.datatype, "\(output.name)")
            switch output.data {
            case .int64(let labels):
                #expect(labels == expected.data.map { Int64($0) }, "\(output.name)")
            case .fp32(let values):
                try #require(values.count == expected.data.count)
                var worst = 0.0
                for (got, want) in zip(values, expected.data) {
                    let error = abs(Double(got) - want)
                    worst = max(worst, error / max(abs(want), 1))
                    #expect(error <= 1e-6 * abs(want) || error <= 1e-6, "\(output.name): \(got) vs \(want)")
                }
                #expect(worst <= 1e-6)
            default:
                Issue.record("unexpected datatype \(output.datatype) for \(output.name)")
            }
        }
    }
}
