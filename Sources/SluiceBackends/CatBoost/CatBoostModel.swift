import SluiceCore

/// The parts of a CatBoost JSON model (`save_model(format="json")`) that serving needs, decoded
/// and checked: objective, signature sizes and the trees as a `TreeEnsemble`. Built by
/// `CatBoostBackend.load` on a loader thread; every failure is `ServingError.loadFailure` naming
/// the file and the key path.
///
/// Layout read (catboost 1.x): `features_info.float_features[]` {feature_index,
/// flat_feature_index, nan_value_treatment}, `oblivious_trees[]` {splits[], leaf_values[]} or
/// `trees[]` (non-symmetric: nested {split, left, right} / {value}), `scale_and_bias`
/// [scale, [bias per dimension]], `model_info.params.loss_function.type`. A model with
/// categorical, text or embedding features is refused: their CTR tables and hashing are not
/// implemented.
struct CatBoostModel {
    let objective: CatBoostObjective
    let featureCount: Int
    let outputCount: Int
    let ensemble: TreeEnsemble

    /// CatBoost's own limit on tree depth; it bounds an oblivious tree at 2^16 leaves.
    static let maxDepth = 16

    init(document: ModelField) throws(ServingError) {
        let objective = try Self.objective(document)
        let info = try document.member("features_info")
        for (key, kind) in [
            ("categorical_features", "categorical"), ("text_features", "text"), ("embedding_features", "embedding"),
        ] {
            if let field = info.optionalMember(key), case .array(let items) = field.value, !items.isEmpty {
                throw field.fail(
                    "the model has \(items.count) \(kind) features; Sluice serves CatBoost models with numeric (float) features only")
            }
        }
        if let ctrs = document.optionalMember("ctr_data"), case .object(let tables) = ctrs.value, !tables.isEmpty {
            throw ctrs.fail("CTR tables (categorical features) are not supported")
        }
        let features = try FloatFeatures(info.member("float_features"))
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
                trees: trees, featureCount: features.count, outputCount: outputCount, baseScores: baseScores,
                comparison: .lessOrEqual, categoryMatch: .goesLeft, accumulation: .double)
        } catch {
            throw document.fail(error.description)
        }
        self.objective = objective
        featureCount = features.count
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

/// The model's float features by CatBoost's float-feature index: the input column each reads
/// and where NaN goes. Built once per load.
struct FloatFeatures {
    struct Feature {
        /// The column of the input row (`flat_feature_index`).
        var column: Int32
        /// `nan_value_treatment` AsTrue (nan_mode Max): NaN is above every border and goes right;
        /// AsFalse (Min) and AsIs go left.
        var nanGoesRight: Bool
    }

    var byIndex: [Int: Feature] = [:]
    /// Input columns: one past the largest `flat_feature_index`.
    var count = 0

    init(_ field: ModelField) throws(ServingError) {
        for item in try field.elements() {
            let indexField = try item.member("feature_index")
            let index = try indexField.int()
            let columnField = try item.member("flat_feature_index")
            let column = try columnField.int()
            guard column >= 0, column < 1 << 24 else { throw columnField.fail("\(column) is out of range") }
            guard byIndex[index] == nil else { throw indexField.fail("feature \(index) is listed twice") }
            let treatmentField = item.optionalMember("nan_value_treatment")
            let treatment = try treatmentField?.string() ?? "AsIs"
            guard ["AsIs", "AsFalse", "AsTrue"].contains(treatment) else {
                throw (treatmentField ?? item).fail("'\(treatment.prefix(40))' is not AsIs, AsFalse or AsTrue")
            }
            byIndex[index] = Feature(column: Int32(column), nanGoesRight: treatment == "AsTrue")
            count = max(count, column + 1)
        }
        guard count > 0 else { throw field.fail("the model has no float features") }
    }

    /// The feature a split tests; throws naming the split when it is not a float feature of the
    /// model.
    func feature(of split: ModelField) throws(ServingError) -> (feature: Feature, border: Float) {
        let typeField = try split.member("split_type")
        let type = try typeField.string()
        guard type == "FloatFeature" else {
            throw typeField.fail("split type '\(type.prefix(40))' is not supported (only float features; CTRs and one-hot categorical splits are not)")
        }
        let indexField = try split.member("float_feature_index")
        guard let feature = byIndex[try indexField.int()] else {
            throw indexField.fail("names no float feature of the model")
        }
        let border = try split.member("border").double()
        guard !border.isNaN else { throw split.fail("border is NaN") }
        return (feature, Float(border))
    }
}
