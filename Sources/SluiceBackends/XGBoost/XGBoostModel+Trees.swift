import SluiceCore

extension XGBoostModel {
    /// Decodes `gradient_booster` into trees, one `DecodedTree` per XGBoost tree with its class
    /// from `tree_info`. DART models are served like gbtree with each tree's leaves scaled by its
    /// `weight_drop`, which is what XGBoost's predictor does outside training.
    static func trees(learner: ModelField) throws(ServingError) -> [DecodedTree] {
        let booster = try learner.member("gradient_booster")
        let kind = try booster.member("name").string()
        let model: ModelField
        var weights: [Float]?
        switch kind {
        case "gbtree":
            model = try booster.member("model")
        case "dart":
            model = try booster.member("gbtree").member("model")
            weights = try booster.member("weight_drop").floats()
        default:
            throw booster.fail("booster '\(kind)' is not supported: only tree models (gbtree, dart) can be served")
        }
        let treeFields = try model.member("trees").elements()
        let infoField = try model.member("tree_info")
        let info = try infoField.int32s()
        guard info.count == treeFields.count else {
            throw infoField.fail("has \(info.count) entries for \(treeFields.count) trees")
        }
        if let weights, weights.count != treeFields.count {
            throw booster.fail("weight_drop has \(weights.count) entries for \(treeFields.count) trees")
        }
        var trees: [DecodedTree] = []
        trees.reserveCapacity(treeFields.count)
        for (index, field) in treeFields.enumerated() {
            var tree = try decodeTree(field, output: Int(info[index]))
            if let weights {
                tree.value = tree.value.map { $0 * weights[index] }
            }
            trees.append(tree)
        }
        return trees
    }

    /// One tree. Leaf values live in `split_conditions` (XGBoost stores a node's leaf value and
    /// split threshold in the same slot); `base_weights` is the unscaled weight and not used.
    static func decodeTree(_ tree: ModelField, output: Int) throws(ServingError) -> DecodedTree {
        if let param = tree.optionalMember("tree_param"),
            let leafSize = try param.optionalMember("size_leaf_vector")?.int(), leafSize > 1
        {
            throw param.fail("vector leaves (multi_strategy=multi_output_tree) are not supported")
        }
        let left = try tree.member("left_children").int32s()
        let right = try tree.member("right_children").int32s()
        let features = try tree.member("split_indices").int32s()
        let conditions = try tree.member("split_conditions").floats()
        let defaults = try tree.member("default_left").int32s().map { $0 != 0 }
        var categories: [[UInt32]?] = []
        if let splitTypeField = tree.optionalMember("split_type") {
            let splitType = try splitTypeField.int32s()
            if splitType.contains(where: { $0 != 0 }) {
                categories = try decodeCategories(tree, splitType: splitType, nodeCount: left.count)
            }
        }
        return DecodedTree(
            feature: features, threshold: conditions, left: left, right: right, defaultLeft: defaults,
            value: conditions, categories: categories, output: output)
    }

    /// Categorical splits: `categories_nodes[k]` owns `categories[segments[k] ..< +sizes[k]]`,
    /// the categories that go right.
    static func decodeCategories(
        _ tree: ModelField, splitType: [Int32], nodeCount: Int
    ) throws(ServingError) -> [[UInt32]?] {
        let listField = try tree.member("categories")
        let list = try listField.int32s()
        let nodes = try tree.member("categories_nodes").int32s()
        let segments = try tree.member("categories_segments").int32s()
        let sizes = try tree.member("categories_sizes").int32s()
        guard nodes.count == segments.count, nodes.count == sizes.count else {
            throw tree.fail("categories_nodes, categories_segments and categories_sizes differ in length")
        }
        var categories = [[UInt32]?](repeating: nil, count: nodeCount)
        for k in nodes.indices {
            let node = Int(nodes[k]), start = Int(segments[k]), size = Int(sizes[k])
            guard node >= 0, node < nodeCount, node < splitType.count, splitType[node] == 1 else {
                throw tree.fail("categories_nodes[\(k)] = \(node) is not a categorical split node")
            }
            guard start >= 0, size >= 0, start <= list.count - size else {
                throw listField.fail("segment \(start)+\(size) is out of range (\(list.count) categories)")
            }
            var set: [UInt32] = []
            for c in list[start..<start + size] {
                guard c >= 0 else { throw listField.fail("negative category \(c)") }
                set.append(UInt32(c))
            }
            categories[node] = set
        }
        for (node, type) in splitType.enumerated() where type == 1 && node < nodeCount && categories[node] == nil {
            // XGBoost lists every categorical node; a missing one would silently become a
            // numeric split with a meaningless threshold.
            throw tree.fail("node \(node) is a categorical split without categories")
        }
        return categories
    }
}
