import Foundation
import SluiceBackends
import SluiceCore
import Testing

/// Broken and unsupported catboost.json files are refused at load with a reason, never a crash.
@Suite struct CatBoostLoadFailureTests {
    /// Each bad fixture (scripts/make_catboost_fixtures.py) and words its load failure must contain.
    static let badFiles: [(file: String, reason: String)] = [
        ("truncated.json", "unexpected end of file (truncated?)"),
        ("not_a_model.json", "missing 'features_info'"),
        ("short_leaf_values.json", "oblivious_trees[0].leaf_values: has 15 values for 16 leaves"),
        ("feature_out_of_range.json", "oblivious_trees[0].splits[0].float_feature_index: names no float feature"),
        ("unknown_loss.json", "loss function 'RMSEWithUncertainty' is not supported"),
        ("too_deep.json", "oblivious_trees[0]: depth 20 is beyond CatBoost's 16"),
        ("missing_ctr_table.json", "features_info.ctrs[0]: no ctr_data table for this CTR"),
    ]

    @Test(arguments: badFiles)
    func badFileIsRefusedWithItsReason(_ file: String, _ reason: String) throws {
        try TreeFixture.expectLoadFailure("catboost", "catboost", file: file, reason: reason)
    }

    @Test func missingFileIsALoadFailure() {
        #expect(throws: ServingError.self) {
            try Backends.standard.load(BackendLoadRequest(file: "/nonexistent/catboost.json", backend: "catboost"))
        }
    }

    /// Prefixes of a real model, and digits and brackets changed at random (so the damage gets
    /// past the JSON reader to the model checks): a loadFailure or a model that infers, never a
    /// trap.
    @Test(arguments: ["multiclass", "depthwise", "categorical_combinations"])
    func damagedFilesNeverCrash(_ name: String) throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TreeFixture.path("catboost", "\(name)/catboost.json"))))
        let input = try CatBoostCategoricalTests.inputs(name)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-catboost-corrupt-\(getpid())-\(name)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var random = XGBoostCorruptionTests.SplitMix(state: 18)
        let digits = Array("0123456789-.e[]".utf8)
        // Only the bytes of numbers are changed: a change elsewhere is just a JSON syntax error.
        let numeric = original.indices.filter { digits.contains(original[$0]) }
        for attempt in 0..<300 {
            var bytes = original
            if attempt % 3 == 0 {
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            } else {
                for _ in 0..<(1 + attempt % 4) {
                    let at = numeric.randomElement(using: &random) ?? 0
                    bytes[at] = digits.randomElement(using: &random) ?? 0
                }
            }
            try Data(bytes).write(to: scratch)
            do {
                let backend = try Backends.standard.load(BackendLoadRequest(file: scratch.path, backend: "catboost"))
                _ = try? backend.infer(input)
            } catch {
                guard case .loadFailure = error else {
                    Issue.record("attempt \(attempt): expected loadFailure, got \(error)")
                    continue
                }
            }
        }
    }
}
