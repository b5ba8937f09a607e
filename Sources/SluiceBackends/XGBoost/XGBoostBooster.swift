/// What computes an XGBoost model's margins: trees (gbtree, dart) on the shared evaluator, or
/// gblinear's weights. Immutable; called by the backend from any thread.
enum XGBoostBooster: Sendable {
    case trees(TreeEnsemble)
    case linear(LinearBooster)

    var featureCount: Int {
        switch self {
        case .trees(let ensemble): ensemble.featureCount
        case .linear(let linear): linear.featureCount
        }
    }

    var outputCount: Int {
        switch self {
        case .trees(let ensemble): ensemble.outputCount
        case .linear(let linear): linear.outputCount
        }
    }

    /// Row-major `rows × featureCount` in, `rows × outputCount` margins out; sizes are checked
    /// by the backend.
    func margins(_ x: UnsafeBufferPointer<Float>, rows: Int, into out: UnsafeMutableBufferPointer<Float>) {
        switch self {
        case .trees(let ensemble): ensemble.margins(x, rows: rows, into: out)
        case .linear(let linear): linear.margins(x, rows: rows, into: out)
        }
    }
}

/// Which trees of an early-stopped model answer: model.yaml's `xgboost: {iterations: best | all}`.
enum IterationChoice: String, Sendable {
    /// The rounds up to `best_iteration` when the file has one (what the scikit-learn wrapper
    /// and MLServer predict with, and what the user validated); every round otherwise.
    case best
    /// Every round in the file, as `Booster.predict` answers by default.
    case all

    /// The option as `BackendFactory.options` declares it.
    static let option = "iterations"
}
