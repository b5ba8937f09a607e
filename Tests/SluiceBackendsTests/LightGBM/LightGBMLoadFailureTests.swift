import Foundation
import SluiceBackends
import SluiceCore
import Testing

/// Broken and unsupported model.txt files are refused at load with a reason, never a crash.
@Suite struct LightGBMLoadFailureTests {
    /// Each bad fixture (scripts/make_lightgbm_fixtures.py) and words its load failure must contain.
    static let badFiles: [(file: String, reason: String)] = [
        ("truncated.txt", "truncated"),
        ("not_a_model.txt", "not a LightGBM text model"),
        ("child_out_of_range.txt", "Tree=0: left_child[0] = 9999 is out of range"),
        ("leaf_out_of_range.txt", "Tree=0: right_child[0] = -9999 names leaf 9998"),
        ("feature_out_of_range.txt", "feature index 77 is out of range"),
        ("short_array.txt", "Tree=0: threshold has 13 values, expected 14"),
        ("cycle.txt", "reachable twice"),
        ("bad_number.txt", "Tree=0: leaf_value[0]: '1.5x' is not a valid number"),
        ("linear_feature_out_of_range.txt", "Tree=1: leaf_features[0] = 77 is out of range (the model has 5 features)"),
    ]

    @Test(arguments: badFiles)
    func badFileIsRefusedWithItsReason(_ file: String, _ reason: String) throws {
        try TreeFixture.expectLoadFailure("lightgbm", "lightgbm", file: file, reason: reason)
    }

    @Test func missingFileIsALoadFailure() {
        #expect(throws: ServingError.self) {
            try Backends.standard.load(BackendLoadRequest(file: "/nonexistent/model.txt", backend: "lightgbm"))
        }
    }

    /// Every prefix of a real model, and bytes flipped at random: a loadFailure or a model that
    /// infers, never a trap.
    @Test(arguments: ["categorical", "linear_multiclass"])
    func damagedFilesNeverCrash(_ name: String) throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TreeFixture.path("lightgbm", "\(name)/model.txt"))))
        let input = try TreeFixture("lightgbm", name).inputTensor
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-lgbm-corrupt-\(getpid())-\(name)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var random = XGBoostCorruptionTests.SplitMix(state: 7)
        let digits = Array("0123456789-. e".utf8)
        for attempt in 0..<300 {
            var bytes = original
            if attempt % 3 == 0 {
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            } else {
                // Mostly digits and separators, so the damage reaches the tree checks.
                for _ in 0..<(1 + attempt % 4) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = digits.randomElement(using: &random) ?? 0
                }
            }
            try Data(bytes).write(to: scratch)
            do {
                let backend = try Backends.standard.load(BackendLoadRequest(file: scratch.path, backend: "lightgbm"))
                _ = try? backend.infer([input])
            } catch {
                guard case .loadFailure = error else {
                    Issue.record("attempt \(attempt): expected loadFailure, got \(error)")
                    continue
                }
            }
        }
    }
}
