import Foundation
import SluiceBackends
import SluiceCore
import Testing

/// Objective lines the fixtures do not cover: refused, unknown, and the raw-score fallbacks.
@Suite struct LightGBMObjectiveTests {
    /// The binary fixture with its objective line replaced, loaded from a temporary file.
    static func load(objective: String?) throws -> any Backend {
        let original = try String(contentsOfFile: TreeFixture.path("lightgbm", "binary/model.txt"), encoding: .utf8)
        let lines = original.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line -> Substring? in
            guard line.hasPrefix("objective=") else { return line }
            return objective.map { Substring("objective=\($0)") }
        }
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-lgbm-objective-\(getpid())-\(abs((objective ?? "none").hashValue)).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        return try Backends.standard.load(BackendLoadRequest(file: file.path, backend: "lightgbm"))
    }

    @Test(arguments: ["binary sigmoid:0", "binary sigmoid:abc", "multiclassova num_class:1", "no_such_objective"])
    func unservableObjectiveIsALoadFailure(_ objective: String) {
        #expect(throws: ServingError.self) { try Self.load(objective: objective) }
    }

    @Test func unknownObjectiveIsNamedInTheMessage() {
        let error = #expect(throws: ServingError.self) { try Self.load(objective: "zzz") }
        guard case .loadFailure(let message) = error else {
            Issue.record("expected loadFailure, got \(String(describing: error))")
            return
        }
        #expect(message.contains("objective 'zzz' is not supported"), "\(message)")
    }

    @Test(arguments: [String?.none, "regression", "lambdarank", "custom"])
    func rawScoreObjectivesAnswerPredictions(_ objective: String?) throws {
        let backend = try Self.load(objective: objective)
        #expect(backend.outputs == [TensorSpec(name: "predictions", datatype: .fp32, shape: [-1])])
    }

    @Test func sqrtRegressionSquaresTheScoreKeepingItsSign() throws {
        let fixture = try TreeFixture("lightgbm", "binary")
        let raw = try Self.load(objective: "regression").infer([fixture.inputTensor])
        let squared = try Self.load(objective: "regression sqrt").infer([fixture.inputTensor])
        guard case .fp32(let r) = raw[0].data, case .fp32(let s) = squared[0].data else {
            Issue.record("unexpected output types")
            return
        }
        for (x, y) in zip(r, s) {
            let want = Double(x) * Double(x) * (x < 0 ? -1 : 1)
            #expect(abs(Double(y) - want) <= 1e-6 * max(abs(want), 1))
        }
    }
}
