import SluiceCore

/// A CatBoost model's categorical features: the CTRs (target statistics of a category, or of a
/// combination of categories and binarized floats, looked up by hash in the model's tables) and
/// the one-hot values its trees test. Built once per load from `features_info` and `ctr_data`;
/// `columns` turns a request's categories into the values the trees split on, on any thread.
///
/// A category is hashed as CatBoost does: CityHash64 (v1.0) of its text, low 32 bits. A
/// combination's hash folds those (sign-extended) and binarized floats into one 64-bit key.
struct CatBoostCategorical: Sendable {
    enum Element: Sendable {
        /// A categorical input column's value.
        case category(position: Int)
        /// A float feature against a border (1 above, 0 at or below; NaN as the feature says).
        case float(column: Int, border: Float, nanGoesRight: Bool)
        /// Whether a categorical column holds one value.
        case exactValue(position: Int, value: UInt32)
    }

    enum Kind: Sendable {
        /// Borders: the share of rows whose target is above the border. Buckets: the share in
        /// one target class. Counter: how often the category occurred.
        case borders, buckets, counter
    }

    /// One CTR of `features_info.ctrs` with its `ctr_data` table.
    struct CTR: Sendable {
        /// What is hashed, in order: the CTR's projection.
        var elements: [Element]
        var kind: Kind
        /// Borders: counts above this target border are "good"; Buckets: this class's count.
        var targetBorder: Int
        /// `prior_numerator` and `prior_denomerator` (sic), then `shift` and `scale`.
        var priorNumerator: Float
        var priorDenominator: Float
        var shift: Float
        var scale: Float
        /// The borders its splits use, in `split_index` order.
        var borders: [Float]
        /// Hash → the first of `width` counts in `counts`.
        var table: [UInt64: Int]
        var counts: [Float]
        var width: Int
        var denominator: Float

        /// CatBoost's `(count + prior) / (total + prior denominator)`, shifted and scaled, in
        /// Float as its evaluator computes it.
        func value(hash: UInt64) -> Float {
            var good: Float = 0, total: Float = 0
            switch kind {
            case .counter:
                if let at = table[hash] { good = counts[at] }
                total = denominator
            case .borders, .buckets:
                if let at = table[hash] {
                    for i in 0..<width {
                        let c = counts[at + i]
                        total += c
                        if kind == .borders ? i > targetBorder : i == targetBorder { good += c }
                    }
                }
            }
            return ((good + priorNumerator) / (total + priorDenominator) + shift) * scale
        }
    }

    /// Columns of the categorical input, in the model's (flat) feature order.
    let categoryCount: Int
    let ctrs: [CTR]
    /// (categorical input column, value) per one-hot column, in CatBoost's order.
    let oneHot: [(position: Int, value: UInt32)]
    /// By CatBoost's categorical feature index: the input column.
    let positions: [Int: Int]

    /// The columns after the float features: one per CTR, then one per one-hot value.
    var columnCount: Int { ctrs.count + oneHot.count }

    /// nil when the model has no categorical features.
    init?(_ info: ModelField, ctrData: ModelField?, floats: [Int: CatBoostFeatures.Float32Feature]) throws(ServingError) {
        guard let catField = info.optionalMember("categorical_features"), case .array(let items) = catField.value,
            !items.isEmpty
        else { return nil }
        var found: [(flat: Int, index: Int, values: [UInt32])] = []
        for item in try catField.elements() {
            let index = try item.member("feature_index").int()
            let flat = try item.member("flat_feature_index").int()
            var values: [UInt32] = []
            if let valuesField = item.optionalMember("values") {
                for v in try valuesField.elements() { values.append(try Self.hash32(v)) }
            }
            found.append((flat, index, values))
        }
        found.sort { $0.flat < $1.flat }
        var positions: [Int: Int] = [:]
        var oneHot: [(position: Int, value: UInt32)] = []
        for (position, feature) in found.enumerated() {
            guard positions.updateValue(position, forKey: feature.index) == nil else {
                throw catField.fail("categorical feature \(feature.index) is listed twice")
            }
        }
        // One-hot values in CatBoost's binary-feature order: by categorical feature index.
        for feature in found.sorted(by: { $0.index < $1.index }) {
            for value in feature.values { oneHot.append((positions[feature.index] ?? 0, value)) }
        }
        var ctrs: [CTR] = []
        if let ctrsField = info.optionalMember("ctrs") {
            for item in try ctrsField.elements() {
                ctrs.append(try Self.ctr(item, ctrData: ctrData, positions: positions, floats: floats))
            }
        }
        categoryCount = found.count
        self.ctrs = ctrs
        self.oneHot = oneHot
        self.positions = positions
    }

    /// A hash or value written as a number or as its decimal text, as the low 32 bits CatBoost
    /// keeps (`values`, one-hot `value`).
    static func hash32(_ field: ModelField) throws(ServingError) -> UInt32 {
        switch field.value {
        case .integer(let i) where i >= Int64(Int32.min) && i <= Int64(UInt32.max):
            return UInt32(truncatingIfNeeded: i)
        case .string(let s):
            if let u = UInt32(s) { return u }
            if let i = Int32(s) { return UInt32(bitPattern: i) }
        default: break
        }
        throw field.fail("expected a 32-bit category hash, found \(field.value.kind)")
    }

    static func ctr(
        _ item: ModelField, ctrData: ModelField?, positions: [Int: Int], floats: [Int: CatBoostFeatures.Float32Feature]
    ) throws(ServingError) -> CTR {
        let typeField = try item.member("ctr_type")
        let kind: Kind
        switch try typeField.string() {
        case "Borders": kind = .borders
        case "Buckets": kind = .buckets
        case "Counter": kind = .counter
        case let other: throw typeField.fail("CTR type '\(other.prefix(40))' is not supported")
        }
        var elements: [Element] = []
        for element in try item.member("elements").elements() {
            let nameField = try element.member("combination_element")
            switch try nameField.string() {
            case "cat_feature_value":
                let field = try element.member("cat_feature_index")
                guard let position = positions[try field.int()] else { throw field.fail("names no categorical feature") }
                elements.append(.category(position: position))
            case "float_feature":
                let field = try element.member("float_feature_index")
                guard let feature = floats[try field.int()] else { throw field.fail("names no float feature") }
                let border = try element.member("border").double()
                elements.append(.float(column: Int(feature.column), border: Float(border), nanGoesRight: feature.nanGoesRight))
            case "cat_feature_exact_value":
                let field = try element.member("cat_feature_index")
                guard let position = positions[try field.int()] else { throw field.fail("names no categorical feature") }
                elements.append(.exactValue(position: position, value: try hash32(element.member("value"))))
            case let other:
                throw nameField.fail("combination element '\(other.prefix(40))' is not supported")
            }
        }
        guard !elements.isEmpty else { throw item.fail("a CTR without elements") }
        let identifier = try item.member("identifier").string()
        guard let data = ctrData?.optionalMember(identifier) else {
            throw item.fail("no ctr_data table for this CTR")
        }
        let stride = try data.member("hash_stride").int()
        guard stride >= 2, stride <= 1 << 16 else { throw data.fail("hash_stride \(stride) is out of range") }
        let width = stride - 1
        let targetBorder = try item.optionalMember("target_border_idx")?.int() ?? 0
        let limit = kind == .borders ? width - 1 : width
        guard kind == .counter || (targetBorder >= 0 && targetBorder < max(limit, 1)) else {
            throw item.fail("target_border_idx \(targetBorder) is out of range for \(width) counts")
        }
        let mapField = try data.member("hash_map")
        let entries = try mapField.elements()
        guard entries.count % (width + 1) == 0 else {
            throw mapField.fail("has \(entries.count) entries, not a multiple of hash_stride \(width + 1)")
        }
        var table: [UInt64: Int] = [:]
        var counts: [Float] = []
        counts.reserveCapacity(entries.count)
        var at = 0
        while at < entries.count {
            let hash: UInt64
            switch entries[at].value {
            case .string(let s):
                guard let h = UInt64(s) else { throw entries[at].fail("'\(s.prefix(30))' is not a hash") }
                hash = h
            case .integer(let i) where i >= 0: hash = UInt64(i)
            default: throw entries[at].fail("expected a hash")
            }
            // UInt64.max marks an empty bucket of CatBoost's hash table.
            if hash != .max {
                table[hash] = counts.count
                for k in 1...width { counts.append(Float(try entries[at + k].double())) }
            }
            at += width + 1
        }
        var borders: [Float] = []
        if let bordersField = item.optionalMember("borders") { borders = try bordersField.doubles().map { Float($0) } }
        return CTR(
            elements: elements, kind: kind, targetBorder: targetBorder,
            priorNumerator: Float(try item.member("prior_numerator").double()),
            priorDenominator: Float(try item.member("prior_denomerator").double()),
            shift: Float(try item.member("shift").double()), scale: Float(try item.member("scale").double()),
            borders: borders, table: table, counts: counts, width: width,
            denominator: Float(try data.optionalMember("counter_denominator")?.double() ?? 0))
    }

    /// The column (after the float features) and border of an `OnlineCtr` or `OneHotFeature`
    /// split. A CTR split is found by its `split_index`: binary features are numbered float
    /// borders first, then one-hot values, then each CTR's borders in order.
    func split(_ split: ModelField, type: String, floatBorders: Int) throws(ServingError) -> (column: Int, border: Float) {
        if type == "OneHotFeature" {
            let field = try split.member("cat_feature_index")
            guard let position = positions[try field.int()] else { throw field.fail("names no categorical feature") }
            let value = try Self.hash32(split.member("value"))
            guard let k = oneHot.firstIndex(where: { $0.position == position && $0.value == value }) else {
                throw split.fail("one-hot value \(value) is not among the feature's values")
            }
            // 1 when the category is that value: right of 0.5.
            return (ctrs.count + k, 0.5)
        }
        let indexField = try split.member("split_index")
        let index = try indexField.int()
        // Range-checked first: a hostile index must not overflow the subtraction.
        guard index >= 0, index < 1 << 40 else { throw indexField.fail("\(index) is out of range") }
        var k = index - floatBorders - oneHot.count
        let border = Float(try split.member("border").double())
        for (i, ctr) in ctrs.enumerated() {
            if k >= 0, k < ctr.borders.count {
                guard ctr.borders[k] == border else {
                    throw indexField.fail("names CTR \(i) border \(ctr.borders[k]), but the split's border is \(border)")
                }
                return (i, border)
            }
            k -= ctr.borders.count
        }
        throw indexField.fail("names no CTR border of the model")
    }

    /// The categorical columns of `rows` rows: `hashes` holds each row's category hashes
    /// (`categoryCount` per row), `floats` its float features (`floatCount` per row); writes
    /// `columnCount` values per row into `out` at stride `stride`, offset `offset`.
    func columns(
        hashes: [UInt32], floats: UnsafeBufferPointer<Float>, floatCount: Int, rows: Int,
        into out: UnsafeMutableBufferPointer<Float>, stride: Int, offset: Int
    ) {
        let magic: UInt64 = 0x4906_ba49_4954_cb65
        for row in 0..<rows {
            let h = row * categoryCount, f = row * floatCount, o = row * stride + offset
            for (i, ctr) in ctrs.enumerated() {
                var key: UInt64 = 0
                for element in ctr.elements {
                    let part: UInt64
                    switch element {
                    case .category(let position):
                        part = UInt64(bitPattern: Int64(Int32(bitPattern: hashes[h + position])))
                    case .float(let column, let border, let nanGoesRight):
                        let x = floats[f + column]
                        part = (x.isNaN ? nanGoesRight : x > border) ? 1 : 0
                    case .exactValue(let position, let value):
                        part = hashes[h + position] == value ? 1 : 0
                    }
                    key = magic &* (key &+ magic &* part)
                }
                out[o + i] = ctr.value(hash: key)
            }
            for (k, pair) in oneHot.enumerated() {
                out[o + ctrs.count + k] = hashes[h + pair.position] == pair.value ? 1 : 0
            }
        }
    }

    /// CatBoost's hash of one category: CityHash64 of its text, low 32 bits.
    static func hash(_ text: [UInt8]) -> UInt32 {
        UInt32(truncatingIfNeeded: text.withUnsafeBytes { CityHash.hash64($0) })
    }
}
