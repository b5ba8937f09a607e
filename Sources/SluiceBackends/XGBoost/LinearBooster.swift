import SluiceCore

/// XGBoost's `gblinear` booster: per output, a bias and one weight per feature. Built by
/// `XGBoostModel` on a loader thread; immutable afterwards, read by concurrent `infer` calls.
///
/// The margin of output g is `base + bias[g] + Σ x[f] · w[f][g]` over the features in order,
/// where `base` is the first output's base score for every output (xgboost's gblinear reads
/// only that one; for multiclass softmax the shift cancels, but margins show it),
/// summed in Float as xgboost's `GBLinear::Pred` does, so answers match its predict bit for bit.
/// A missing value (NaN) is absent from xgboost's sparse row, so it adds nothing.
struct LinearBooster: Sendable {
    let featureCount: Int
    let outputCount: Int
    /// Feature-major, as the file stores them: `weights[f * outputCount + g]`, then one bias per
    /// output at `weights[featureCount * outputCount + g]`.
    let weights: [Float]
    /// The first output's base score, in margin space: gblinear adds it to every output.
    let baseScore: Float

    /// `model` is `gradient_booster.model`; its `weights` must hold (features + 1) × outputs
    /// values. Throws a load failure naming the field otherwise.
    init(model: ModelField, featureCount: Int, outputCount: Int, baseScores: [Float]) throws(ServingError) {
        let field = try model.member("weights")
        let weights = try field.floats()
        // featureCount ≤ 2^24 and outputCount ≤ 2^16 (checked by XGBoostModel): no overflow.
        let expected = (featureCount + 1) * outputCount
        guard weights.count == expected else {
            throw field.fail(
                "has \(weights.count) values; \(featureCount) features and \(outputCount) outputs need \(expected) (a weight per feature and output, then a bias per output)")
        }
        self.featureCount = featureCount
        self.outputCount = outputCount
        self.weights = weights
        self.baseScore = baseScores.first ?? 0
    }

    /// Row-major `rows × featureCount` in, `rows × outputCount` margins out (all written).
    /// Called from any thread; sizes are checked by the backend.
    func margins(_ x: UnsafeBufferPointer<Float>, rows: Int, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count == rows * featureCount && out.count >= rows * outputCount, "sizes checked by the backend")
        let biasStart = featureCount * outputCount
        for row in 0..<rows {
            let first = row * featureCount
            for g in 0..<outputCount {
                var sum = weights[biasStart + g] + baseScore
                for f in 0..<featureCount {
                    let value = x[first + f]
                    if !value.isNaN { sum += value * weights[f * outputCount + g] }
                }
                out[row * outputCount + g] = sum
            }
        }
    }
}
