import Foundation
import SluiceBackends
import SluiceCore
import Testing

/// Every reference case scores as lightgbm's own predict did, within 1e-6 (labels exact).
@Suite struct LightGBMFixtureTests {
    /// Folders under Fixtures/lightgbm. Listed rather than discovered so each shows up as its
    /// own test; `everyFixtureIsListed` keeps the list honest.
    static let cases = [
        "binary", "binary_sigmoid_scale", "multiclass", "multiclassova", "regression_l2",
        "regression_l1", "huber", "quantile", "poisson", "gamma", "tweedie", "cross_entropy",
        "many_trees", "rf", "rf_regression", "missing_nan", "missing_zero", "categorical",
        "linear_regression", "linear_binary", "linear_multiclass",
    ]

    static func load(_ name: String) throws -> any Backend {
        try Backends.standard.load(BackendLoadRequest(file: TreeFixture.path("lightgbm", "\(name)/model.txt"), backend: "lightgbm"))
    }

    @Test(arguments: cases)
    func modelAnswersAsLightGBMPredictDid(_ name: String) throws {
        let fixture = try TreeFixture("lightgbm", name)
        let backend = try Self.load(name)
        #expect(backend.platform == "lightgbm")
        try fixture.check(backend.infer([fixture.inputTensor]), from: backend)
    }

    @Test(arguments: cases)
    func fp64InputsAnswerLikeFP32(_ name: String) throws {
        let fixture = try TreeFixture("lightgbm", name)
        let backend = try Self.load(name)
        let wide = try Tensor(
            name: "input", shape: [fixture.rows, fixture.cols], data: .fp64(fixture.input.map(Double.init)))
        #expect(try backend.infer([wide]) == backend.infer([fixture.inputTensor]))
    }

    @Test(arguments: cases)
    func rowsScoredTogetherAnswerTheBitsOfRowsScoredAlone(_ name: String) throws {
        try TreeFixture("lightgbm", name).expectRowsTogetherMatchRowsAlone(Self.load(name))
    }

    @Test func everyFixtureIsListed() throws {
        let root = try TreeFixture.root("lightgbm")
        let found = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0 != "bad" }
        #expect(found.sorted() == Self.cases.sorted())
    }

    @Test func wrongFeatureCountIsInvalidInput() throws {
        let backend = try Self.load("binary")
        let error = #expect(throws: ServingError.self) {
            try backend.infer([Tensor(name: "input", shape: [1, 4], data: .fp32([1, 2, 3, 4]))])
        }
        guard case .invalidInput(let message) = error else {
            Issue.record("expected invalidInput, got \(String(describing: error))")
            return
        }
        #expect(message.contains("4 features per row; the model takes 5"), "\(message)")
    }

    @Test func defaultSignatureFollowsTheObjective() throws {
        #expect(try Self.load("multiclassova").outputs == [
            TensorSpec(name: "probabilities", datatype: .fp32, shape: [-1, 3]),
            TensorSpec(name: "label", datatype: .int64, shape: [-1]),
        ])
        #expect(try Self.load("cross_entropy").outputs == [
            TensorSpec(name: "predictions", datatype: .fp32, shape: [-1]),
        ])
        #expect(try Self.load("categorical").inputs == [TensorSpec(name: "input", datatype: .fp32, shape: [-1, 4])])
    }
}
