import SluiceCore

/// The parts of a CatBoost JSON model (`save_model(format="json")`) that serving needs, decoded
/// and checked: objective, signature sizes and the trees as a `TreeEnsemble`. Built by
/// `CatBoostBackend.load` on a loader thread; every failure is `ServingError.loadFailure` naming
/// the file and the key path.
///
/// Layout read (catboost 1.x): `features_info.float_features[]` {feature_index,
/// flat_feature_index, nan_value_treatment}, `oblivious_trees[]` {splits[], leaf_values[]} or
/// `trees[]` (non-symmetric: nested {split, left, right} / {value}), `scale_and_bias`
/// [scale, [bias per dimension]], `model_info.params.loss_function.type`, and for categorical
/// features `features_info.categorical_features`, `features_info.ctrs` and `ctr_data`. A model
/// with text or embedding features is refused.
struct CatBoostModel {
    let objective: CatBoostObjective
    /// The input columns and what the trees split on.
    let features: CatBoostFeatures
    let outputCount: Int
    let ensemble: TreeEnsemble

    /// CatBoost's own limit on tree depth; it bounds an oblivious tree at 2^16 leaves.
    static let maxDepth = 16

    init(document: ModelField) throws(ServingError) {
        let objective = try Self.objective(document)
        let info = try document.member("features_info")
        for (key, kind) in [("text_features", "text"), ("embedding_features", "embedding")] {
            if let field = info.optionalMember(key), case .array(let items) = field.value, !items.isEmpty {
                throw field.fail(
                    "the model has \(items.count) \(kind) features; Sluice serves CatBoost models with float and categorical features only")
            }
        }
        let features = try CatBoostFeatures(info, ctrData: document.optionalMember("ctr_data"))
        let (scale, bias) = try Self.scaleAndBias(document.optionalMember("scale_and_bias"))

        var trees: [DecodedTree] = []
        var dimension: Int?
        if let oblivious = document.optionalMember("oblivious_trees") {
            for tree in try oblivious.elements() {
                try Self.appendOblivious(tree, features: features, scale: scale, dimension: &dimension, to: &trees)
            }
        } else if let nonSymmetric = document.optionalMember("trees") {
            for tree in try nonSymmetric.elements() {
                try Self.appendNonSymmetric(tree, features: features, scale: scale, dimension: &dimension, to: &trees)
            }
        } else {
            throw document.fail("missing 'oblivious_trees' (or 'trees')")
        }
        let outputCount = dimension ?? bias.count
        let baseScores = bias.count == 1 ? Array(repeating: bias[0], count: outputCount) : bias
        guard baseScores.count == outputCount else {
            throw document.fail("scale_and_bias has \(bias.count) biases for \(outputCount) dimensions")
        }
        switch objective.answer {
        case .binaryClassifier where outputCount != 1:
            throw document.fail("\(objective.name) with \(outputCount) dimensions is not supported")
        case .multiClassifier where outputCount < 2:
            throw document.fail("\(objective.name) needs at least 2 classes, found \(outputCount) dimensions")
        default:
            break
        }
        do {
            // CatBoost goes right when value > border, and adds leaves in Double.
            ensemble = try TreeEnsemble(
                trees: trees, featureCount: features.columnCount, outputCount: outputCount, baseScores: baseScores,
                comparison: .lessOrEqual, categoryMatch: .goesLeft, accumulation: .double)
        } catch {
            throw document.fail(error.description)
        }
        self.objective = objective
        self.features = features
        self.outputCount = outputCount
    }

    /// The loss the model was trained with. A model without one (made by hand or by
    /// `sum_models`) answers its raw sums, as catboost's predict does.
    static func objective(_ document: ModelField) throws(ServingError) -> CatBoostObjective {
        guard let loss = document.optionalMember("model_info")?.optionalMember("params")?.optionalMember("loss_function")
        else { return CatBoostObjective(name: "none", answer: .regressor, transform: .identity) }
        let typeField = try loss.member("type")
        let name = try typeField.string()
        guard let objective = CatBoostObjective.named(name) else {
            throw typeField.fail("loss function '\(name.prefix(60))' is not supported")
        }
        return objective
    }

    /// `[scale, [bias, …]]` (older files write one bias as a number); absent means `[1, [0]]`.
    static func scaleAndBias(_ field: ModelField?) throws(ServingError) -> (scale: Double, bias: [Float]) {
        guard let field else { return (1, [0]) }
        let parts = try field.elements()
        guard parts.count == 2 else { throw field.fail("expected [scale, bias], found \(parts.count) entries") }
        let scale = try parts[0].double()
        let bias: [Float]
        switch parts[1].value {
        case .array: bias = try parts[1].doubles().map { Float($0) }
        default: bias = [Float(try parts[1].double())]
        }
        guard scale.isFinite, !bias.isEmpty, bias.allSatisfy(\.isFinite) else {
            throw field.fail("scale and bias must be finite numbers")
        }
        return (scale, bias)
    }
}
