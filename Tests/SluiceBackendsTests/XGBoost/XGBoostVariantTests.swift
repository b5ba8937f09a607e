import Foundation
import SluiceBackends
import SluiceCore
import Testing

/// Early stopping's best_iteration, gblinear, survival:cox and vector leaves beyond the
/// reference answers `XGBoostFixtureTests` checks: the model.yaml switch to every tree, batches of
/// 1, 8 and 0 rows, and XGBoost's binary format refused with XGBoost's own advice.
@Suite struct XGBoostVariantTests {
    static let earlyStopped = [
        "early_stop_binary/model.json", "early_stop_binary/model.ubj", "early_stop_multi_forest/model.json",
    ]

    static let variants = earlyStopped + [
        "gblinear_regression/model.json", "gblinear_binary/model.json", "gblinear_multi/model.json",
        "gblinear_poisson/model.json", "survival_cox/model.json", "vector_leaf_regression/model.json",
        "vector_leaf_multiclass/model.json",
    ]

    static func load(_ model: String, options: [String: String] = [:]) throws -> any Backend {
        try Backends.standard.load(
            BackendLoadRequest(file: TreeFixture.path("xgboost", model), backend: "xgboost", options: options))
    }

    static func caseName(_ model: String) -> String { String(model.split(separator: "/")[0]) }

    @Test(arguments: earlyStopped)
    func iterationsAllAnswersWithEveryTreeAsBoosterPredictDoes(_ model: String) throws {
        let fixture = try TreeFixture("xgboost", Self.caseName(model), expected: "expected_all.json")
        let backend = try Self.load(model, options: ["iterations": "all"])
        try fixture.check(backend.infer([fixture.inputTensor]), from: backend)
    }

    @Test(arguments: earlyStopped)
    func iterationsBestIsTheDefaultAndDiffersFromAll(_ model: String) throws {
        let fixture = try TreeFixture("xgboost", Self.caseName(model))
        let best = try Self.load(model, options: ["iterations": "best"]).infer([fixture.inputTensor])
        #expect(try Self.load(model).infer([fixture.inputTensor]) == best)
        // The fixture would prove nothing if the trees after best_iteration changed no answer.
        #expect(try Self.load(model, options: ["iterations": "all"]).infer([fixture.inputTensor]) != best)
    }

    @Test(arguments: variants)
    func oneEightAndZeroRowsAnswerTheirShareOfTheReference(_ model: String) throws {
        let fixture = try TreeFixture("xgboost", Self.caseName(model))
        let backend = try Self.load(model)
        for rows in [1, 8, 0] {
            let input = try Tensor(
                name: "input", shape: [rows, fixture.cols], data: .fp32(Array(fixture.input.prefix(rows * fixture.cols))))
            try fixture.firstRows(rows).check(backend.infer([input]), from: backend)
        }
    }

    /// A gblinear file holds only its final weights: an iterations choice would be accepted
    /// and do nothing, so it fails the load instead.
    @Test(arguments: ["best", "all"])
    func iterationsOnAGBLinearModelFailsTheLoad(_ choice: String) throws {
        let error = #expect(throws: ServingError.self) {
            try Self.load("gblinear_binary/model.json", options: ["iterations": choice])
        }
        #expect("\(String(describing: error))".contains("does not apply to a gblinear model"), "\(String(describing: error))")
        #expect(throws: Never.self) { try Self.load("gblinear_binary/model.json") }
    }

    /// best_iteration counts rounds; one beyond any tree count fails the load instead of
    /// overflowing when the round count is formed.
    @Test func aBestIterationBeyondAnyTreeCountFailsTheLoad() throws {
        let path = try TreeFixture.path("xgboost", "early_stop_binary/model.json")
        var text = try String(contentsOfFile: path, encoding: .utf8)
        let pattern = try #require(text.range(of: #""best_iteration":"[0-9]+""#, options: .regularExpression))
        text.replaceSubrange(pattern, with: #""best_iteration":"9223372036854775807""#)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-best-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("model.json").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let error = #expect(throws: ServingError.self) {
            try Backends.standard.load(BackendLoadRequest(file: file, backend: "xgboost"))
        }
        #expect("\(String(describing: error))".contains("best_iteration 9223372036854775807 is out of range"), "\(String(describing: error))")
    }

    /// A vector-leaf tree becomes one tree per output: the expansion is bounded by
    /// limits.max_model_tensor_elements before anything is allocated.
    @Test func vectorLeafTreesBeyondTheLimitFailTheLoad() throws {
        let file = try TreeFixture.path("xgboost", "vector_leaf_multiclass/model.json")
        var limits = ModelLimits()
        limits.maxTensorElements = 64
        let error = #expect(throws: ServingError.self) {
            try Backends.standard.load(BackendLoadRequest(file: file, backend: "xgboost", limits: limits))
        }
        #expect("\(String(describing: error))".contains("limits.max_model_tensor_elements"), "\(String(describing: error))")
        #expect(throws: Never.self) { try Backends.standard.load(BackendLoadRequest(file: file, backend: "xgboost")) }
    }

    @Test func binaryFormatIsRefusedWithXGBoostsAdvice() throws {
        let path = try TreeFixture.path("xgboost", "deprecated_binary/model.bst")
        let error = #expect(throws: ServingError.self) {
            try Backends.standard.load(BackendLoadRequest(file: path, backend: "xgboost"))
        }
        guard case .loadFailure(let message) = error else {
            Issue.record("expected loadFailure, got \(String(describing: error))")
            return
        }
        #expect(message.hasPrefix("model.bst: this is XGBoost's binary model format"), "\(message)")
        #expect(message.contains("The binary format has been deprecated in 1.6 and removed in 3.1, use UBJ or JSON instead."))
    }

    @Test func textThatIsNoJSONIsAParseErrorNotTheBinaryFormat() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("xgb-\(UUID().uuidString).json")
        try Data("hello".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let error = #expect(throws: ServingError.self) {
            try Backends.standard.load(BackendLoadRequest(file: file.path, backend: "xgboost"))
        }
        guard case .loadFailure(let message) = error else { return }
        #expect(message.contains("not a valid model file at byte 0"), "\(message)")
    }
}

extension TreeFixture {
    /// The fixture cut to its first `rows` rows (each output's values split evenly per row).
    func firstRows(_ rows: Int) -> TreeFixture {
        var cut = self
        let total = self.rows
        cut.rows = rows
        cut.input = Array(input.prefix(rows * cols))
        for (name, output) in outputs {
            let width = total == 0 ? 0 : output.data.count / total
            var shape = output.shape
            shape[0] = rows
            cut.outputs[name] = Output(shape: shape, datatype: output.datatype, data: Array(output.data.prefix(rows * width)))
        }
        return cut
    }
}

/// LightGBM linear trees in batches of 1, 8 and 0 rows (`LightGBMFixtureTests` checks all 50).
@Suite struct LightGBMLinearTreeTests {
    @Test(arguments: ["linear_regression", "linear_binary", "linear_multiclass"])
    func oneEightAndZeroRowsAnswerTheirShareOfTheReference(_ name: String) throws {
        let fixture = try TreeFixture("lightgbm", name)
        let backend = try Backends.standard.load(
            BackendLoadRequest(file: TreeFixture.path("lightgbm", "\(name)/model.txt"), backend: "lightgbm"))
        for rows in [1, 8, 0] {
            let input = try Tensor(
                name: "input", shape: [rows, fixture.cols], data: .fp32(Array(fixture.input.prefix(rows * fixture.cols))))
            try fixture.firstRows(rows).check(backend.infer([input]), from: backend)
        }
    }

    /// More rows than one block of leaf indices (2^20 / trees rows): every row still answers
    /// as it does alone.
    @Test func requestsLongerThanOneBlockAnswerEveryRow() throws {
        let fixture = try TreeFixture("lightgbm", "linear_regression")
        let backend = try Backends.standard.load(
            BackendLoadRequest(file: TreeFixture.path("lightgbm", "linear_regression/model.txt"), backend: "lightgbm"))
        let trees = try String(contentsOfFile: TreeFixture.path("lightgbm", "linear_regression/model.txt"), encoding: .utf8)
            .components(separatedBy: "\nTree=").count - 1
        let rows = (1 << 20) / trees + 3
        let values = (0..<rows).flatMap { r in fixture.input[(r % fixture.rows) * fixture.cols..<(r % fixture.rows + 1) * fixture.cols] }
        let answer = try backend.infer([try Tensor(name: "input", shape: [rows, fixture.cols], data: .fp32(values))])
        let alone = try backend.infer([fixture.inputTensor])
        guard case .fp32(let long) = answer[0].data, case .fp32(let short) = alone[0].data else {
            Issue.record("answers are not FP32")
            return
        }
        let width = short.count / fixture.rows
        #expect(long.count == rows * width)
        #expect((0..<rows).allSatisfy { r in (0..<width).allSatisfy { long[r * width + $0] == short[(r % fixture.rows) * width + $0] } })
    }
}
