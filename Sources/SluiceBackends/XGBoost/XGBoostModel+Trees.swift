import SluiceCore

extension XGBoostModel {
    /// Decodes `gradient_booster` into trees, one `DecodedTree` per XGBoost tree with its class
    /// from `tree_info` (a vector-leaf tree becomes one tree per output). DART models are served
    /// like gbtree with each tree's leaves scaled by its `weight_drop`, which is what XGBoost's
    /// predictor does outside training. `rounds` keeps the trees of the first that many boosting
    /// rounds (early stopping's best_iteration + 1); nil keeps all. Vector-leaf trees, which
    /// become one full tree per output, may expand to at most `leafValues` nodes in all
    /// (`limits.max_model_tensor_elements`): a small file could otherwise ask for terabytes.
    static func trees(learner: ModelField, outputs: Int, rounds: Int?, leafValues: Int) throws(ServingError) -> [DecodedTree] {
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
            throw booster.fail("booster '\(kind)' is not supported: only gbtree, dart and gblinear can be served")
        }
        let allTrees = try model.member("trees").elements()
        let infoField = try model.member("tree_info")
        let info = try infoField.int32s()
        guard info.count == allTrees.count else {
            throw infoField.fail("has \(info.count) entries for \(allTrees.count) trees")
        }
        if let weights, weights.count != allTrees.count {
            throw booster.fail("weight_drop has \(weights.count) entries for \(allTrees.count) trees")
        }
        let kept = try rounds.map { rounds throws(ServingError) in
            try treesIn(rounds: rounds, model: model, outputs: outputs, treeCount: allTrees.count)
        } ?? allTrees.count
        var trees: [DecodedTree] = []
        trees.reserveCapacity(kept)
        var budget = leafValues
        for (index, field) in allTrees.prefix(kept).enumerated() {
            for var tree in try decodeTree(field, output: Int(info[index]), outputs: outputs, budget: &budget) {
                if let weights {
                    tree.value = tree.value.map { $0 * weights[index] }
                }
                trees.append(tree)
            }
        }
        return trees
    }

    /// How many leading trees make up the first `rounds` boosting rounds: `iteration_indptr`
    /// says where each round starts (XGBoost 2 and later); older files have num_parallel_tree
    /// trees per output in every round. A model with fewer rounds keeps all its trees.
    static func treesIn(rounds: Int, model: ModelField, outputs: Int, treeCount: Int) throws(ServingError) -> Int {
        if let field = model.optionalMember("iteration_indptr") {
            let starts = try field.int32s()
            guard starts.first == 0, starts.last.map(Int.init) == treeCount,
                zip(starts, starts.dropFirst()).allSatisfy({ $0 <= $1 })
            else {
                throw field.fail("is not an ascending list from 0 to the tree count \(treeCount)")
            }
            return Int(starts[min(rounds, starts.count - 1)])
        }
        let forest = try model.optionalMember("gbtree_model_param")?.optionalMember("num_parallel_tree")?.int() ?? 1
        guard forest >= 1 else { throw model.fail("num_parallel_tree \(forest) is not positive") }
        let (perRound, overflow) = forest.multipliedReportingOverflow(by: outputs)
        let (count, overflow2) = perRound.multipliedReportingOverflow(by: rounds)
        return overflow || overflow2 ? treeCount : min(count, treeCount)
    }

    /// One tree. Leaf values live in `split_conditions` (XGBoost stores a node's leaf value and
    /// split threshold in the same slot); `base_weights` is the unscaled weight and not used.
    /// A vector-leaf tree (multi_strategy=multi_output_tree) is returned as one tree per output.
    static func decodeTree(
        _ tree: ModelField, output: Int, outputs: Int, budget: inout Int
    ) throws(ServingError) -> [DecodedTree] {
        let left = try tree.member("left_children").int32s()
        var right = try tree.member("right_children").int32s()
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
        if let param = tree.optionalMember("tree_param"),
            let leafSize = try param.optionalMember("size_leaf_vector")?.int(), leafSize > 1
        {
            guard leafSize == outputs else {
                throw param.fail("size_leaf_vector \(leafSize) differs from the model's \(outputs) outputs")
            }
            let values = try vectorLeaves(tree, left: left, right: &right, width: leafSize, budget: &budget)
            return values.enumerated().map { output, value in
                DecodedTree(
                    feature: features, threshold: conditions, left: left, right: right, defaultLeft: defaults,
                    value: value, categories: categories, output: output)
            }
        }
        return [
            DecodedTree(
                feature: features, threshold: conditions, left: left, right: right, defaultLeft: defaults,
                value: conditions, categories: categories, output: output)
        ]
    }

    /// A vector-leaf tree's leaves, one value array per output. XGBoost 3: a leaf has left child
    /// -1 and, in place of its right child, the index of its vector in `leaf_weights` (`width`
    /// values each); those right children become -1, the ensemble's leaf mark. XGBoost 2: both
    /// children are -1 and every node's vector is in `base_weights`, node by node.
    static func vectorLeaves(
        _ tree: ModelField, left: [Int32], right: inout [Int32], width: Int, budget: inout Int
    ) throws(ServingError) -> [[Float]] {
        guard right.count == left.count else {
            throw tree.fail("left_children and right_children differ in length")
        }
        // width ≤ 2^16 and the budget ≤ 2^30: the division keeps the product unformed.
        guard left.count <= budget / width else {
            throw tree.fail(
                "\(left.count) nodes × \(width) outputs take the vector-leaf trees beyond \(budget) more nodes (limits.max_model_tensor_elements)")
        }
        budget -= left.count * width
        var values = [[Float]](repeating: [Float](repeating: 0, count: left.count), count: width)
        guard let weightsField = tree.optionalMember("leaf_weights") else {
            let field = try tree.member("base_weights")
            let weights = try field.floats()
            guard weights.count / width == left.count, weights.count % width == 0 else {
                throw field.fail("has \(weights.count) values for \(left.count) nodes of \(width) outputs")
            }
            for node in left.indices where left[node] == -1 {
                for k in 0..<width { values[k][node] = weights[node * width + k] }
            }
            return values
        }
        let weights = try weightsField.floats()
        for node in left.indices where left[node] == -1 {
            let leaf = Int(right[node])
            // leaf < weights.count / width keeps (leaf + 1) * width within the array, unmultiplied.
            guard leaf >= 0, leaf < weights.count / width else {
                throw weightsField.fail("leaf \(leaf) of node \(node) is out of range (\(weights.count / width) leaves)")
            }
            for k in 0..<width { values[k][node] = weights[leaf * width + k] }
            right[node] = -1
        }
        return values
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
