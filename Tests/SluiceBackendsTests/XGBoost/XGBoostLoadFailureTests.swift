import SluiceBackends
import SluiceCore
import Testing

/// Broken and unsupported model files are refused at load with a reason, never a crash.
@Suite struct XGBoostLoadFailureTests {
    /// Each bad fixture and words its load failure must contain.
    static let badFiles: [(file: String, reason: String)] = [
        ("truncated.json", "truncated"),
        ("truncated.ubj", "truncated"),
        ("not_a_model.json", "missing 'learner'"),
        ("child_out_of_range.json", "child index 9999 is out of range"),
        ("feature_out_of_range.json", "feature index 77 is out of range"),
        ("cycle.json", "reachable twice"),
        ("short_array.json", "thresholds has"),
        ("tree_info_class_out_of_range.json", "adds to output 5"),
        ("gblinear_short_weights.json", "learner.gradient_booster.model.weights: has 5 values; 5 features and 1 outputs need 6"),
    ]

    @Test(arguments: badFiles)
    func badFileIsRefusedWithItsReason(_ file: String, _ reason: String) throws {
        try TreeFixture.expectLoadFailure("xgboost", "xgboost", file: file, reason: reason)
    }

    @Test func missingFileIsALoadFailure() {
        #expect(throws: ServingError.self) {
            try Backends.standard.load(BackendLoadRequest(file: "/nonexistent/model.json", backend: "xgboost"))
        }
    }
}
