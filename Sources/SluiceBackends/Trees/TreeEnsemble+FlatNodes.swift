extension TreeEnsemble {
    /// One node as the evaluator reads it: 16 bytes, so a walk touches one cache line per few
    /// levels instead of one per array per level. The right child is always `left + 1`, which
    /// lets the walk pick a child with arithmetic instead of a branch it would mispredict.
    struct Node: Sendable {
        /// The input column an internal node tests; -1 on a leaf.
        var feature: Int32
        /// An internal node's split value; a leaf's value.
        var threshold: Float
        /// The left child's index in the ensemble; the right child is at `left + 1`.
        var left: Int32
        /// `defaultLeftFlag`, `categoricalFlag`, `zeroIsMissingFlag`.
        var flags: UInt8
    }

    /// The growing node arrays while an ensemble is built; trees arrive already validated, so
    /// appending only renumbers nodes into the shared array.
    struct FlatNodes {
        var nodes: [Node] = []
        var categoryStart: [Int32] = []
        var categoryWords: [Int32] = []
        var categoryBits: [UInt32] = []
        var roots: [Int32] = []
        var treeOutput: [Int32] = []

        /// Numbers the nodes the root reaches breadth-first, giving each internal node's two
        /// children adjacent slots; unreachable nodes (XGBoost's deleted ones) are dropped.
        mutating func append(_ tree: DecodedTree, index: Int) throws(TreeEnsembleError) {
            let base = nodes.count
            roots.append(Int32(base))
            treeOutput.append(Int32(tree.output))
            // order[k] is the file's node that becomes node base + k.
            var order = [0]
            var firstChild = [Int32](repeating: -1, count: tree.nodeCount)
            var head = 0
            while head < order.count {
                let old = order[head]
                head += 1
                guard tree.left[old] != -1 else { continue }
                firstChild[old] = Int32(base + order.count)
                order.append(Int(tree.left[old]))
                order.append(Int(tree.right[old]))
            }
            for old in order {
                guard tree.left[old] != -1 else {
                    // Leaves get feature -1 so the evaluator needs one load to know it has arrived.
                    nodes.append(Node(feature: -1, threshold: tree.value[old], left: -1, flags: 0))
                    categoryStart.append(0)
                    categoryWords.append(0)
                    continue
                }
                var flag: UInt8 = tree.defaultLeft[old] ? TreeEnsemble.defaultLeftFlag : 0
                var start: Int32 = 0, words: Int32 = 0
                if old < tree.categories.count, let cats = tree.categories[old] {
                    flag |= TreeEnsemble.categoricalFlag
                    (start, words) = try appendBitset(cats, tree: index, node: old)
                } else if old < tree.zeroIsMissing.count, tree.zeroIsMissing[old] {
                    flag |= TreeEnsemble.zeroIsMissingFlag
                }
                nodes.append(Node(
                    feature: tree.feature[old], threshold: tree.threshold[old], left: firstChild[old],
                    flags: flag))
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
