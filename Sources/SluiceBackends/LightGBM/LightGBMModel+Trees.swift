import SluiceCore

extension LightGBMModel {
    /// LightGBM's `decision_type` bits (include/LightGBM/tree.h).
    static let categoricalMask = 1
    static let defaultLeftMask = 2

    /// One `Tree=N` block as a `DecodedTree`. LightGBM numbers split nodes `0..<L-1` and
    /// leaves separately (a child `c < 0` is leaf `~c`); here leaf `l` becomes node `L-1+l`.
    /// Every index is checked so that a bad file is a load failure that names the key. A linear
    /// tree's leaf models are read by `LightGBMLinearTrees`; here its leaves are constants.
    static func decodeTree(_ tree: LightGBMText.Section, output: Int) throws(ServingError) -> DecodedTree {
        let leaves = try tree.int("num_leaves")
        guard leaves >= 1, leaves <= 1 << 24 else { throw tree.fail("num_leaves \(leaves) is out of range") }
        let leafValues = try tree.list("leaf_value", count: leaves) { Double($0) }
        if leaves == 1 {
            // A tree that never split: its one leaf is the root.
            return DecodedTree(
                feature: [-1], threshold: [0], left: [-1], right: [-1], defaultLeft: [false],
                value: [Float(leafValues[0])], output: output)
        }
        let splits = leaves - 1
        let features = try tree.list("split_feature", count: splits) { Int32($0) }
        let thresholds = try tree.list("threshold", count: splits) { Double($0) }
        let decisions = try tree.list("decision_type", count: splits) { UInt8($0) }
        let left = try children(tree, "left_child", splits: splits, leaves: leaves)
        let right = try children(tree, "right_child", splits: splits, leaves: leaves)
        let bitsets = try categoryBitsets(tree)

        let count = splits + leaves
        var threshold = [Float](repeating: 0, count: count)
        var defaultLeft = [Bool](repeating: false, count: count)
        var zeroIsMissing = [Bool](repeating: false, count: count)
        var categories = [[UInt32]?](repeating: nil, count: count)
        var value = [Float](repeating: 0, count: count)
        for (leaf, v) in leafValues.enumerated() { value[splits + leaf] = Float(v) }
        for node in 0..<splits {
            let decision = Int(decisions[node])
            let t = thresholds[node]
            if decision & categoricalMask != 0 {
                // The threshold is an index into cat_boundaries; NaN goes right (not in the set),
                // which is where LightGBM's CategoricalDecision sends it whatever default_left says.
                guard t >= 0, t < Double(bitsets.count) else {
                    throw tree.fail("threshold[\(node)] = \(t) is not a category set (num_cat = \(bitsets.count))")
                }
                categories[node] = bitsets[Int(t)]
                continue
            }
            threshold[node] = floatAtOrBelow(t)
            switch (decision >> 2) & 3 {
            case 0:
                // MissingType::None: NaN is read as 0.0 and compared like any value.
                defaultLeft[node] = 0 <= t
            case 1:
                // MissingType::Zero: zero (and NaN, read as zero) takes the default direction.
                defaultLeft[node] = decision & defaultLeftMask != 0
                zeroIsMissing[node] = true
            case 2:
                // MissingType::NaN: only NaN takes the default direction.
                defaultLeft[node] = decision & defaultLeftMask != 0
            default:
                throw tree.fail("decision_type[\(node)] = \(decision) has an unknown missing type")
            }
        }
        return DecodedTree(
            feature: features + repeatElement(-1, count: leaves), threshold: threshold, left: left,
            right: right, defaultLeft: defaultLeft, value: value, categories: categories,
            zeroIsMissing: zeroIsMissing, output: output)
    }

    /// The largest Float not above `t`. LightGBM compares the Double of a Float input with a
    /// Double threshold; for a Float x, `x <= t` holds exactly when `x <=` this, so the walk
    /// can stay in Float without changing a single decision.
    static func floatAtOrBelow(_ t: Double) -> Float {
        var f = Float(t)
        if Double(f) > t { f = f.nextDown }
        return f
    }

    /// A child list renumbered into the decoded tree (leaves after the split nodes), with
    /// `-1` children for the leaves themselves.
    static func children(
        _ tree: LightGBMText.Section, _ key: Substring, splits: Int, leaves: Int
    ) throws(ServingError) -> [Int32] {
        let raw = try tree.list(key, count: splits) { Int32($0) }
        for (node, c) in raw.enumerated() {
            if c >= 0, Int(c) >= splits {
                throw tree.fail("\(key)[\(node)] = \(c) is out of range (\(splits) split nodes)")
            }
            if c < 0, Int(~c) >= leaves {
                throw tree.fail("\(key)[\(node)] = \(c) names leaf \(~c), but the tree has \(leaves) leaves")
            }
        }
        // In range now, so the sum cannot overflow.
        return raw.map { c in c >= 0 ? c : Int32(splits) + ~c } + repeatElement(-1, count: leaves)
    }

    /// The categories of each of the tree's `num_cat` sets: set `i` is the bitset
    /// `cat_threshold[cat_boundaries[i] ..< cat_boundaries[i+1]]`, bit `c % 32` of word `c / 32`.
    static func categoryBitsets(_ tree: LightGBMText.Section) throws(ServingError) -> [[UInt32]] {
        let sets = tree.optional("num_cat") == nil ? 0 : try tree.int("num_cat")
        guard sets > 0 else { return [] }
        guard sets <= 1 << 24 else { throw tree.fail("num_cat \(sets) is out of range") }
        let boundaries = try tree.list("cat_boundaries", count: sets + 1) { Int($0) }
        let words = boundaries[sets]
        guard boundaries[0] == 0, words >= 0, words <= TreeEnsemble.categoryWordBudget,
            zip(boundaries, boundaries.dropFirst()).allSatisfy({ $0 <= $1 })
        else {
            throw tree.fail("cat_boundaries must rise from 0 to the length of cat_threshold")
        }
        let bits = try tree.list("cat_threshold", count: words) { UInt32($0) }
        var result: [[UInt32]] = []
        for i in 0..<sets {
            var categories: [UInt32] = []
            for w in boundaries[i]..<boundaries[i + 1] where bits[w] != 0 {
                for b in 0..<32 where bits[w] & (1 << UInt32(b)) != 0 {
                    let category = (w - boundaries[i]) * 32 + b
                    // Checked here too, so a hostile bitset cannot grow a huge list first.
                    guard category < Int(TreeEnsemble.categoryLimit) else {
                        throw tree.fail("category set \(i) holds category \(category) (limit 2^24)")
                    }
                    categories.append(UInt32(category))
                }
            }
            result.append(categories)
        }
        return result
    }
}
