import SluiceCore

extension CatBoostModel {
    /// One oblivious tree as `dimension` `DecodedTree`s (one per output). CatBoost's leaf index
    /// has bit `d` set when `splits[d]` is true (value > border); the decoded tree is the full
    /// binary tree whose root tests the last split, so its leaves in breadth-first order are the
    /// leaf indices: leaf `i` is node `2^depth - 1 + i`, its value `leaf_values[i·dimension + k]`.
    static func appendOblivious(
        _ tree: ModelField, features: CatBoostFeatures, scale: Double, dimension: inout Int?,
        to trees: inout [DecodedTree]
    ) throws(ServingError) {
        // A tree that never split (depth 0) writes null.
        let splitsField = try tree.member("splits")
        var splitFields: [ModelField] = []
        if case .null = splitsField.value {} else { splitFields = try splitsField.elements() }
        let depth = splitFields.count
        guard depth <= maxDepth else { throw tree.fail("depth \(depth) is beyond CatBoost's \(maxDepth)") }
        let leaves = 1 << depth
        let leafField = try tree.member("leaf_values")
        let values = try leafField.doubles()
        guard !values.isEmpty, values.count % leaves == 0 else {
            throw leafField.fail("has \(values.count) values for \(leaves) leaves")
        }
        let width = try agree(&dimension, values.count / leaves, tree)
        var splits: [(column: Int32, border: Float, defaultLeft: Bool)] = []
        for split in splitFields { splits.append(try features.split(split)) }

        let splitNodes = leaves - 1
        let count = splitNodes + leaves
        var feature = [Int32](repeating: -1, count: count)
        var threshold = [Float](repeating: 0, count: count)
        var left = [Int32](repeating: -1, count: count)
        var right = [Int32](repeating: -1, count: count)
        var defaultLeft = [Bool](repeating: false, count: count)
        var level = 0, levelEnd = 1
        for node in 0..<splitNodes {
            if node == levelEnd {
                level += 1
                levelEnd = 2 * levelEnd + 1
            }
            let split = splits[depth - 1 - level]
            feature[node] = split.column
            threshold[node] = split.border
            defaultLeft[node] = split.defaultLeft
            // Below 2^17 nodes, so these fit.
            left[node] = Int32(2 * node + 1)
            right[node] = Int32(2 * node + 2)
        }
        for k in 0..<width {
            var value = [Float](repeating: 0, count: count)
            for leaf in 0..<leaves { value[splitNodes + leaf] = Float(values[leaf * width + k] * scale) }
            trees.append(DecodedTree(
                feature: feature, threshold: threshold, left: left, right: right, defaultLeft: defaultLeft,
                value: value, output: k))
        }
    }

    /// One non-symmetric tree (grow_policy Depthwise or Lossguide): nested objects, a split node
    /// `{split, left, right}` or a leaf `{value}` (an array for several dimensions). Numbered in
    /// the order met, root first; the JSON reader's nesting bound bounds the depth.
    static func appendNonSymmetric(
        _ tree: ModelField, features: CatBoostFeatures, scale: Double, dimension: inout Int?,
        to trees: inout [DecodedTree]
    ) throws(ServingError) {
        var feature: [Int32] = [], threshold: [Float] = [], left: [Int32] = [], right: [Int32] = []
        var defaultLeft: [Bool] = [], leafValues: [[Double]?] = []
        var pending = [tree]
        var next = 0
        while next < pending.count {
            let node = pending[next]
            next += 1
            if let split = node.optionalMember("split") {
                let (column, border, goesLeft) = try features.split(split)
                feature.append(column)
                threshold.append(border)
                defaultLeft.append(goesLeft)
                left.append(Int32(truncatingIfNeeded: pending.count))
                pending.append(try node.member("left"))
                right.append(Int32(truncatingIfNeeded: pending.count))
                pending.append(try node.member("right"))
                leafValues.append(nil)
            } else {
                let valueField = try node.member("value")
                let values: [Double]
                if case .array = valueField.value { values = try valueField.doubles() } else { values = [try valueField.double()] }
                _ = try agree(&dimension, values.count, valueField)
                feature.append(-1)
                threshold.append(0)
                defaultLeft.append(false)
                left.append(-1)
                right.append(-1)
                leafValues.append(values)
            }
            guard pending.count < 1 << 24 else { throw tree.fail("the tree has more than 2^24 nodes") }
        }
        for k in 0..<(dimension ?? 1) {
            let value = leafValues.map { $0.map { Float($0[k] * scale) } ?? 0 }
            trees.append(DecodedTree(
                feature: feature, threshold: threshold, left: left, right: right, defaultLeft: defaultLeft,
                value: value, output: k))
        }
    }

    /// Every tree has as many values per leaf as the first (the model's dimension: classes or
    /// targets); returns it.
    private static func agree(_ dimension: inout Int?, _ found: Int, _ field: ModelField) throws(ServingError) -> Int {
        guard found >= 1, found <= 1 << 16 else { throw field.fail("\(found) values per leaf is out of range") }
        if let dimension, dimension != found {
            throw field.fail("has \(found) values per leaf, but the model's first tree has \(dimension)")
        }
        dimension = found
        return found
    }
}
