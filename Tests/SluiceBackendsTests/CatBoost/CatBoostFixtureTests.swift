import Foundation
import SluiceBackends
import SluiceCore
import Testing

/// Every reference case (scripts/make_catboost_fixtures.py) scores as catboost's own predict and
/// predict_proba did, within 1e-6 (labels exact).
@Suite struct CatBoostFixtureTests {
    /// Folders under Fixtures/catboost. Listed rather than discovered so each shows up as its
    /// own test; `everyFixtureIsListed` keeps the list honest.
    static let cases = [
        "logloss", "multiclass", "multiclass_one_vs_all", "rmse", "poisson", "quantile", "multi_rmse",
        "nan_min", "nan_max", "depthwise", "lossguide", "many_trees", "scaled",
    ]

    static func load(_ name: String) throws -> any Backend {
        try Backends.standard.load(
            BackendLoadRequest(file: TreeFixture.path("catboost", "\(name)/catboost.json"), backend: "catboost"))
    }

    @Test(arguments: cases)
    func modelAnswersAsCatBoostPredictDid(_ name: String) throws {
        let fixture = try TreeFixture("catboost", name)
        let backend = try Self.load(name)
        #expect(backend.platform == "catboost")
        try fixture.check(backend.infer([fixture.inputTensor]), from: backend)
    }

    /// A batch of 1, 8 and 0 rows answers the first rows of the reference, with the batch
    /// dimension of the request.
    @Test(arguments: cases, [1, 8, 0])
    func firstRowsAnswerTheirShareOfTheReference(_ name: String, _ rows: Int) throws {
        let fixture = try TreeFixture("catboost", name).prefix(rows)
        let backend = try Self.load(name)
        let outputs = try backend.infer([fixture.inputTensor])
        try fixture.check(outputs, from: backend)
        #expect(outputs.allSatisfy { $0.shape.first == rows })
    }

    @Test(arguments: cases)
    func fp64InputsAnswerLikeFP32(_ name: String) throws {
        let fixture = try TreeFixture("catboost", name)
        let backend = try Self.load(name)
        let wide = try Tensor(
            name: "input", shape: [fixture.rows, fixture.cols], data: .fp64(fixture.input.map(Double.init)))
        #expect(try backend.infer([wide]) == backend.infer([fixture.inputTensor]))
    }

    @Test(arguments: cases)
    func rowsScoredTogetherAnswerTheBitsOfRowsScoredAlone(_ name: String) throws {
        try TreeFixture("catboost", name).expectRowsTogetherMatchRowsAlone(Self.load(name))
    }

    @Test func everyFixtureIsListed() throws {
        let root = try TreeFixture.root("catboost")
        let found = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0 != "bad" }
        #expect(found.sorted() == (Self.cases + CatBoostCategoricalTests.cases).sorted())
    }

    @Test func defaultSignatureFollowsTheLoss() throws {
        #expect(try Self.load("logloss").outputs == [
            TensorSpec(name: "probabilities", datatype: .fp32, shape: [-1, 2]),
            TensorSpec(name: "label", datatype: .int64, shape: [-1]),
        ])
        #expect(try Self.load("multiclass_one_vs_all").outputs == [
            TensorSpec(name: "probabilities", datatype: .fp32, shape: [-1, 3]),
            TensorSpec(name: "label", datatype: .int64, shape: [-1]),
        ])
        #expect(try Self.load("rmse").outputs == [TensorSpec(name: "predictions", datatype: .fp32, shape: [-1])])
        #expect(try Self.load("multi_rmse").outputs == [TensorSpec(name: "predictions", datatype: .fp32, shape: [-1, 2])])
        #expect(try Self.load("rmse").inputs == [TensorSpec(name: "input", datatype: .fp32, shape: [-1, 5])])
    }

    @Test func modelYAMLRenamesTheOutputs() throws {
        let backend = try Backends.standard.load(BackendLoadRequest(
            file: TreeFixture.path("catboost", "logloss/catboost.json"), backend: "catboost",
            inputs: [TensorSpec(name: "features", datatype: .fp32, shape: [-1, 5])],
            outputs: [
                TensorSpec(name: "p", datatype: .fp32, shape: [-1, 2]),
                TensorSpec(name: "class", datatype: .int64, shape: [-1]),
            ]))
        let fixture = try TreeFixture("catboost", "logloss").prefix(1)
        let outputs = try backend.infer([Tensor(name: "features", shape: [1, 5], data: .fp32(fixture.input))])
        #expect(outputs.map(\.name) == ["p", "class"])
    }

    @Test func wrongFeatureCountIsInvalidInput() throws {
        let backend = try Self.load("logloss")
        let error = #expect(throws: ServingError.self) {
            try backend.infer([Tensor(name: "input", shape: [1, 4], data: .fp32([1, 2, 3, 4]))])
        }
        guard case .invalidInput(let message) = error else {
            Issue.record("expected invalidInput, got \(String(describing: error))")
            return
        }
        #expect(message.contains("4 features per row; the model takes 5"), "\(message)")
    }
}

extension TreeFixture {
    /// The fixture cut to its first `rows` rows, inputs and expected outputs alike.
    func prefix(_ rows: Int) -> TreeFixture {
        var cut = self
        cut.rows = rows
        cut.input = Array(input.prefix(rows * cols))
        for (name, output) in outputs {
            let width = output.shape.dropFirst().reduce(1, *)
            cut.outputs[name] = Output(
                shape: [rows] + output.shape.dropFirst(), datatype: output.datatype,
                data: Array(output.data.prefix(rows * width)))
        }
        return cut
    }
}
