extension TreeEnsemble {
    /// The growing node arrays while an ensemble is built; trees arrive already validated, so
    /// appending only renumbers children into the shared arrays.
    struct FlatNodes {
        var feature: [Int32] = []
        var threshold: [Float] = []
        var left: [Int32] = []
        var right: [Int32] = []
        var flags: [UInt8] = []
        var value: [Float] = []
        var categoryStart: [Int32] = []
        var categoryWords: [Int32] = []
        var categoryBits: [UInt32] = []
        var roots: [Int32] = []
        var treeOutput: [Int32] = []

        /// Unreachable nodes are stored as leaves: their children were never checked.
        mutating func append(
            _ tree: DecodedTree, index: Int, reachable: [Bool]
        ) throws(TreeEnsembleError) {
            let base = Int32(feature.count)
            roots.append(base)
            treeOutput.append(Int32(tree.output))
            for node in 0..<tree.nodeCount {
                let isLeaf = tree.left[node] == -1 || !reachable[node]
                // Leaves get feature -1 so the evaluator needs one load to know it has arrived.
                feature.append(isLeaf ? -1 : tree.feature[node])
                threshold.append(tree.threshold[node])
                left.append(isLeaf ? -1 : tree.left[node] + base)
                right.append(isLeaf ? -1 : tree.right[node] + base)
                value.append(tree.value[node])
                var flag: UInt8 = tree.defaultLeft[node] ? TreeEnsemble.defaultLeftFlag : 0
                var start: Int32 = 0, words: Int32 = 0
                if !isLeaf, node < tree.categories.count, let cats = tree.categories[node] {
                    flag |= TreeEnsemble.categoricalFlag
                    (start, words) = try appendBitset(cats, tree: index, node: node)
                } else if !isLeaf, node < tree.zeroIsMissing.count, tree.zeroIsMissing[node] {
                    flag |= TreeEnsemble.zeroIsMissingFlag
                }
                flags.append(flag)
                categoryStart.append(start)
                categoryWords.append(words)
            }
        }

        /// Stores a category set as a bitset (bit `c % 32` of word `c / 32`): one load and a
        /// shift per categorical split at inference.
        private mutating func appendBitset(
            _ categories: [UInt32], tree: Int, node: Int
        ) throws(TreeEnsembleError) -> (Int32, Int32) {
            let largest = categories.max() ?? 0
            let words = Int(largest / 32) + 1
            guard categoryBits.count + words <= TreeEnsemble.categoryWordBudget else {
                throw .categoryOutOfRange(tree: tree, node: node, category: largest)
            }
            let start = categoryBits.count
            categoryBits.append(contentsOf: repeatElement(0, count: words))
            for c in categories {
                categoryBits[start + Int(c / 32)] |= 1 << (c % 32)
            }
            return (Int32(start), Int32(words))
        }
    }
}
