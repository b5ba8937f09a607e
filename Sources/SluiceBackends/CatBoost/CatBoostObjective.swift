import Foundation

/// What a CatBoost loss function means for serving: which outputs Sluice answers (README "Outputs
/// of tree models") and how summed scores (CatBoost's `RawFormulaVal`) become what catboost's
/// `predict_proba` (classifiers) or `predict` (the rest) answers. Decided once at load from
/// `model_info.params.loss_function.type`; applied per request on any thread.
struct CatBoostObjective: Sendable {
    typealias Answer = TreeAnswer

    /// The transforms catboost's predict applies, in its Double arithmetic.
    enum Transform: Sendable, Equatable {
        case identity
        /// 1 / (1 + e^-x) per value: Logloss, CrossEntropy, MultiClassOneVsAll (per class).
        case sigmoid
        /// e^(x - max) / Σ per row: MultiClass.
        case softmax
        /// e^x: Poisson and Tweedie, whose predict answers the exponent.
        case exp
    }

    let name: String
    let answer: Answer
    let transform: Transform

    /// The losses whose predictions are a sum of oblivious trees and one of the transforms above;
    /// nil for the others (RMSEWithUncertainty, survival), which the caller refuses.
    static func named(_ name: String) -> CatBoostObjective? {
        switch name {
        case "Logloss", "CrossEntropy":
            CatBoostObjective(name: name, answer: .binaryClassifier, transform: .sigmoid)
        case "MultiClass":
            CatBoostObjective(name: name, answer: .multiClassifier, transform: .softmax)
        case "MultiClassOneVsAll":
            CatBoostObjective(name: name, answer: .multiClassifier, transform: .sigmoid)
        case "Poisson", "Tweedie":
            CatBoostObjective(name: name, answer: .regressor, transform: .exp)
        case "RMSE", "MAE", "Quantile", "Expectile", "MAPE", "Huber", "Lq", "LogLinQuantile", "LogCosh",
            "MultiRMSE", "MultiQuantile", "Cox", "QueryRMSE", "QuerySoftMax", "PairLogit", "PairLogitPairwise",
            "YetiRank", "YetiRankPairwise":
            CatBoostObjective(name: name, answer: .regressor, transform: .identity)
        default: nil
        }
    }

    /// Turns one row's raw scores into answers, in place, in Double as catboost does; the caller
    /// rounds to FP32 once.
    func apply(_ row: UnsafeMutableBufferPointer<Double>) {
        switch transform {
        case .identity:
            return
        case .sigmoid:
            for i in row.indices { row[i] = 1 / (1 + Foundation.exp(-row[i])) }
        case .exp:
            for i in row.indices { row[i] = Foundation.exp(row[i]) }
        case .softmax:
            guard var largest = row.first else { return }
            for v in row { largest = max(largest, v) }
            var sum = 0.0
            for i in row.indices {
                row[i] = Foundation.exp(row[i] - largest)
                sum += row[i]
            }
            for i in row.indices { row[i] /= sum }
        }
    }
}
