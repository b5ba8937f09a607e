import SluiceCore

/// The parts of an XGBoost model document that serving needs, decoded and checked: objective,
/// signature sizes and the trees as a `TreeEnsemble`. Built by `XGBoostBackend.load` on a loader
/// thread; every failure is `ServingError.loadFailure` naming the file and key.
///
/// Layout read (XGBoost 1.7 to 3.x, JSON and UBJSON alike):
/// `learner.learner_model_param` {base_score, num_class, num_feature, num_target},
/// `learner.objective.name`, `learner.gradient_booster` {name, model | gbtree.model, weight_drop},
/// `model.tree_info`, `model.iteration_indptr` and `model.trees[]` with per-node arrays (gblinear:
/// `model.weights`), and `learner.attributes.best_iteration` of an early-stopped model.
struct XGBoostModel {
    let objective: XGBoostObjective
    let featureCount: Int
    let outputCount: Int
    let booster: XGBoostBooster

    /// `iterations`: model.yaml's `xgboost.iterations`, nil when not given (then `.best`).
    init(document: ModelField, iterations: IterationChoice? = nil, limits: ModelLimits = ModelLimits()) throws(ServingError) {
        let learner = try document.member("learner")
        let params = try learner.member("learner_model_param")
        let objectiveField = try learner.member("objective").member("name")
        let objectiveName = try objectiveField.string()
        guard let objective = XGBoostObjective.named(objectiveName) else {
            throw objectiveField.fail("objective '\(objectiveName)' is not supported")
        }
        let featureField = try params.member("num_feature")
        let featureCount = try featureField.int()
        guard featureCount > 0, featureCount <= 1 << 24 else {
            throw featureField.fail("num_feature \(featureCount) is out of range")
        }
        let classes = try params.optionalMember("num_class")?.int() ?? 0
        let targets = try params.optionalMember("num_target")?.int() ?? 1
        guard classes >= 0, classes <= 1 << 16, targets >= 1, targets <= 1 << 16, classes <= 1 || targets == 1 else {
            throw params.fail("num_class \(classes) and num_target \(targets) are out of range")
        }
        let outputCount = max(classes, targets, 1)
        if case .multiClassifier = objective.answer, classes < 2 {
            throw params.fail("\(objectiveName) needs num_class >= 2, found \(classes)")
        }
        if case .binaryClassifier = objective.answer, outputCount != 1 {
            throw params.fail("\(objectiveName) with \(outputCount) outputs is not supported")
        }

        let baseScores = try Self.baseScores(params.member("base_score"), objective: objective, outputs: outputCount)
        let gradientBooster = try learner.member("gradient_booster")
        if try gradientBooster.member("name").string() == "gblinear" {
            if let iterations {
                throw gradientBooster.fail(
                    "model.yaml's xgboost.iterations (\(iterations.rawValue)) does not apply to a gblinear model, whose file holds only its final weights; remove it")
            }
            booster = .linear(
                try LinearBooster(
                    model: gradientBooster.member("model"), featureCount: featureCount, outputCount: outputCount,
                    baseScores: baseScores))
        } else {
            let rounds = (iterations ?? .best) == .best ? try Self.bestIteration(learner).map { $0 + 1 } : nil
            let trees = try Self.trees(
                learner: learner, outputs: outputCount, rounds: rounds, leafValues: limits.maxTensorElements)
            do {
                booster = .trees(
                    try TreeEnsemble(
                        trees: trees, featureCount: featureCount, outputCount: outputCount, baseScores: baseScores,
                        comparison: .less, categoryMatch: .goesRight, accumulation: .float,
                        categoryDomain: .nonNegative))
            } catch {
                throw document.fail(error.description)
            }
        }
        self.objective = objective
        self.featureCount = featureCount
        self.outputCount = outputCount
    }

    /// `attributes.best_iteration` (a string, as xgboost writes every attribute), the 0-based
    /// last round early stopping kept; nil when the model was not early-stopped.
    static func bestIteration(_ learner: ModelField) throws(ServingError) -> Int? {
        guard let field = learner.optionalMember("attributes")?.optionalMember("best_iteration") else { return nil }
        let best = try field.int()
        guard best >= 0, best < Int(Int32.max) else { throw field.fail("best_iteration \(best) is out of range") }
        return best
    }

    /// base_score is a number (old files), a string ("5E-1"), or since XGBoost 3 a bracketed
    /// list with one value per output ("[5E-1]", "[1E-1,2E-1,3E-1]").
    static func baseScores(
        _ field: ModelField, objective: XGBoostObjective, outputs: Int
    ) throws(ServingError) -> [Float] {
        var scores: [Float]
        switch field.value {
        case .double(let d): scores = [Float(d)]
        case .integer(let i): scores = [Float(i)]
        case .string(let text):
            let trimmed = text.trimmingBrackets()
            var parsed: [Float] = []
            for part in trimmed.split(separator: ",") {
                guard let value = Float(part.trimmingSpaces()) else {
                    throw field.fail("cannot read base_score '\(text.prefix(60))'")
                }
                parsed.append(value)
            }
            scores = parsed
        default: throw field.fail("expected a number or a string, found \(field.value.kind)")
        }
        if scores.count == 1, outputs > 1 { scores = Array(repeating: scores[0], count: outputs) }
        guard scores.count == outputs else {
            throw field.fail("has \(scores.count) values for \(outputs) outputs")
        }
        var margins: [Float] = []
        for score in scores {
            guard let margin = objective.margin(fromBaseScore: score) else {
                throw field.fail("\(score) is outside the range \(objective.name) allows")
            }
            margins.append(margin)
        }
        return margins
    }
}

extension String {
    fileprivate func trimmingBrackets() -> Substring {
        var s = Substring(self).trimmingSpaces()
        if s.first == "[" { s = s.dropFirst() }
        if s.last == "]" { s = s.dropLast() }
        return s
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
