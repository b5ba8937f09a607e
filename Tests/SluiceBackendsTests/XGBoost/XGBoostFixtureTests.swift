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
        "early_stop_binary/model.json", "early_stop_binary/model.ubj", "early_stop_multi_forest/model.json",
        "gblinear_regression/model.json", "gblinear_binary/model.json", "gblinear_binary/model.ubj",
        "gblinear_multi/model.json", "gblinear_poisson/model.json", "survival_cox/model.json",
        "vector_leaf_regression/model.json", "vector_leaf_regression/model.ubj",
        "vector_leaf_multiclass/model.json", "xgb2_vector_leaf_regression/model.ubj",
    ]

    static func load(_ model: String) throws -> any Backend {
        try Backends.standard.load(BackendLoadRequest(file: TreeFixture.path("xgboost", model), backend: "xgboost"))
    }

    @Test(arguments: models)
    func modelAnswersAsXGBoostPredictDid(_ model: String) throws {
        let fixture = try TreeFixture("xgboost", String(model.split(separator: "/")[0]))
        let backend = try Self.load(model)
        let outputs = try backend.infer([fixture.inputTensor])
        try fixture.check(outputs, from: backend)
    }

    @Test(arguments: models)
    func fp64InputsAnswerLikeFP32(_ model: String) throws {
        let fixture = try TreeFixture("xgboost", String(model.split(separator: "/")[0]))
        let backend = try Self.load(model)
        let wide = try Tensor(
            name: "input", shape: [fixture.rows, fixture.cols], data: .fp64(fixture.input.map(Double.init)))
        #expect(try backend.infer([wide]) == backend.infer([fixture.inputTensor]))
    }

    @Test(arguments: models)
    func rowsScoredTogetherAnswerTheBitsOfRowsScoredAlone(_ model: String) throws {
        let fixture = try TreeFixture("xgboost", String(model.split(separator: "/")[0]))
        try fixture.expectRowsTogetherMatchRowsAlone(Self.load(model))
    }

    @Test func everyFixtureIsListed() throws {
        let root = try TreeFixture.root("xgboost")
        var found: [String] = []
        // deprecated_binary holds a model Sluice refuses (XGBoostVariantTests).
        for folder in try FileManager.default.contentsOfDirectory(atPath: root.path)
        where folder != "bad" && folder != "deprecated_binary" {
            for file in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
            where file.hasPrefix("model.") {
                found.append("\(folder)/\(file)")
            }
        }
        #expect(found.sorted() == Self.models.sorted())
    }
}
