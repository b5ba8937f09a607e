import Foundation

/// What an XGBoost objective means for serving: how its base score becomes a margin, how margins
/// become answers, and which outputs it answers (README "Outputs of tree models"). Decided once at
/// load.
struct XGBoostObjective: Sendable {
    typealias Answer = TreeAnswer

    /// How XGBoost turns the stored (user-facing) base_score into margin space: the inverse of
    /// the objective's transform.
    enum BaseScoreLink: Sendable {
        case identity, logit, log
    }

    let name: String
    let answer: Answer
    let transform: PostTransform
    let link: BaseScoreLink

    /// The objectives XGBoost's CPU predictor serves with a plain sum of trees (or gblinear's
    /// weighted sum). `binary:logitraw`
    /// keeps its base score as given (xgboost 1.7 and 3.2 agree, checked by the fixtures).
    static func named(_ name: String) -> XGBoostObjective? {
        switch name {
        case "binary:logistic": XGBoostObjective(name: name, answer: .binaryClassifier, transform: .sigmoid, link: .logit)
        case "multi:softprob", "multi:softmax":
            XGBoostObjective(name: name, answer: .multiClassifier, transform: .softmax, link: .identity)
        case "binary:logitraw": XGBoostObjective(name: name, answer: .regressor, transform: .none, link: .identity)
        case "reg:logistic": XGBoostObjective(name: name, answer: .regressor, transform: .sigmoid, link: .logit)
        // survival:cox predicts the hazard ratio exp(margin); its base score is stored as one.
        case "count:poisson", "reg:gamma", "reg:tweedie", "survival:cox":
            XGBoostObjective(name: name, answer: .regressor, transform: .exp, link: .log)
        case "reg:squarederror", "reg:linear", "reg:squaredlogerror", "reg:pseudohubererror",
            "reg:absoluteerror", "reg:quantileerror", "rank:pairwise", "rank:ndcg", "rank:map":
            XGBoostObjective(name: name, answer: .regressor, transform: .none, link: .identity)
        default: nil
        }
    }

    /// The margin XGBoost starts every row from, computed in Float as XGBoost does
    /// (`-logf(1/p - 1)`, `logf(p)`). Returns nil when the score is outside the link's domain.
    func margin(fromBaseScore score: Float) -> Float? {
        switch link {
        case .identity: return score
        case .logit:
            guard score > 0, score < 1 else { return nil }
            return -Foundation.log(1 / score - 1)
        case .log:
            guard score > 0 else { return nil }
            return Foundation.log(score)
        }
    }
}
