import SluiceCore

/// The columns the trees of a CatBoost model split on, and which JSON split names which column.
/// Built once per load. Float features come first, in the model's feature order; a model with
/// categorical features adds one column per CTR and one per one-hot value after them
/// (`CatBoostCategorical`), computed per request.
struct CatBoostFeatures {
    struct Float32Feature {
        /// The column of the numeric input.
        var column: Int32
        /// `nan_value_treatment` AsTrue (nan_mode Max): NaN is above every border and goes right;
        /// AsFalse (Min) and AsIs go left.
        var nanGoesRight: Bool
    }

    /// By CatBoost's float-feature index.
    var floats: [Int: Float32Feature] = [:]
    /// Columns of the numeric input.
    var floatCount = 0
    /// All float borders: CatBoost numbers binary features float borders first, then one-hot
    /// values, then CTR borders (`split_index`).
    var floatBorderCount = 0
    var categorical: CatBoostCategorical?

    /// Columns the ensemble walks: the float features, then the categorical ones.
    var columnCount: Int { floatCount + (categorical?.columnCount ?? 0) }

    init(_ info: ModelField, ctrData: ModelField?) throws(ServingError) {
        // A model of categorical features alone may leave float_features out.
        let field = info.optionalMember("float_features")
        var found: [(flat: Int, index: Int, nanGoesRight: Bool)] = []
        var seen = Set<Int>()
        for item in try field?.elements() ?? [] {
            let indexField = try item.member("feature_index")
            let index = try indexField.int()
            let flat = try item.member("flat_feature_index").int()
            guard seen.insert(index).inserted else { throw indexField.fail("feature \(index) is listed twice") }
            let treatmentField = item.optionalMember("nan_value_treatment")
            let treatment = try treatmentField?.string() ?? "AsIs"
            guard ["AsIs", "AsFalse", "AsTrue"].contains(treatment) else {
                throw (treatmentField ?? item).fail("'\(treatment.prefix(40))' is not AsIs, AsFalse or AsTrue")
            }
            if let borders = item.optionalMember("borders") { floatBorderCount += try borders.elements().count }
            found.append((flat, index, treatment == "AsTrue"))
        }
        // The numeric input holds the float features in the model's (flat) order.
        for (column, feature) in found.sorted(by: { $0.flat < $1.flat }).enumerated() {
            floats[feature.index] = Float32Feature(column: Int32(column), nanGoesRight: feature.nanGoesRight)
        }
        floatCount = found.count
        guard floatCount <= 1 << 24 else { throw info.fail("\(floatCount) float features is too many") }
        categorical = try CatBoostCategorical(info, ctrData: ctrData, floats: floats)
        guard columnCount > 0 else { throw info.fail("the model has no features") }
    }

    /// The column, border and NaN direction of one split; throws naming the split when it names
    /// nothing the model has, or a kind of split Sluice does not evaluate.
    func split(_ split: ModelField) throws(ServingError) -> (column: Int32, border: Float, defaultLeft: Bool) {
        let typeField = try split.member("split_type")
        let type = try typeField.string()
        switch type {
        case "FloatFeature":
            let indexField = try split.member("float_feature_index")
            guard let feature = floats[try indexField.int()] else {
                throw indexField.fail("names no float feature of the model")
            }
            let border = try split.member("border").double()
            guard !border.isNaN else { throw split.fail("border is NaN") }
            return (feature.column, Float(border), !feature.nanGoesRight)
        case "OnlineCtr", "OneHotFeature":
            guard let categorical else { throw typeField.fail("the model has no categorical features") }
            let (column, border) = try categorical.split(split, type: type, floatBorders: floatBorderCount)
            // CTR values and one-hot indicators are never NaN.
            return (Int32(floatCount + column), border, true)
        default:
            throw typeField.fail("split type '\(type.prefix(40))' is not supported")
        }
    }
}
