extension TreeEnsemble {
    /// One node as the evaluator reads it: 16 bytes, so a walk touches one cache line per few
    /// levels instead of one per array per level. The right child is always `left + 1`, which
    /// lets the walk pick a child with arithmetic instead of a branch it would mispredict.
    ///
    /// A leaf is its own child on both sides (`left` is itself, `rightOffset` 0) and tests
    /// feature 0, so a walk may step past it and stay: rows can walk a tree in lockstep for the
    /// tree's depth without asking at each step whether they have arrived.
    struct Node: Sendable {
        /// The input column an internal node tests; 0 on a leaf.
        var feature: Int32
        /// An internal node's split value; a leaf's value.
        var threshold: Float
        /// The left child's index in the ensemble, or the leaf's own index.
        var left: Int32
        /// `defaultLeftFlag`, `categoricalFlag`, `zeroIsMissingFlag`; 0 on a leaf.
        var flags: UInt8
        /// Where the right child is, counted from `left`: 1, or 0 on a leaf.
        var rightOffset: UInt8

        var isLeaf: Bool { rightOffset == 0 }
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
        /// Per tree: steps from the root to its deepest leaf.
        var depths: [Int32] = []

        /// Numbers the nodes the root reaches breadth-first, giving each internal node's two
        /// children adjacent slots; unreachable nodes (XGBoost's deleted ones) are dropped.
        mutating func append(_ tree: DecodedTree, index: Int) throws(TreeEnsembleError) {
            let base = nodes.count
            roots.append(Int32(base))
            treeOutput.append(Int32(tree.output))
            // order[k] is the file's node that becomes node base + k, at depth level[k].
            var order = [0]
            var level = [0]
            var firstChild = [Int32](repeating: -1, count: tree.nodeCount)
            var head = 0
            while head < order.count {
                let old = order[head]
                head += 1
                guard tree.left[old] != -1 else { continue }
                firstChild[old] = Int32(base + order.count)
                order.append(Int(tree.left[old]))
                order.append(Int(tree.right[old]))
                level.append(level[head - 1] + 1)
                level.append(level[head - 1] + 1)
            }
            depths.append(Int32(level[level.count - 1]))
            for (k, old) in order.enumerated() {
                guard tree.left[old] != -1 else {
                    nodes.append(Node(
                        feature: 0, threshold: tree.value[old], left: Int32(base + k), flags: 0,
                        rightOffset: 0))
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
                    flags: flag, rightOffset: 1))
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
