/// A validated, immutable tree ensemble in one flat node array: the one evaluator
/// shared by every tree format (XGBoost, LightGBM, and ONNX's TreeEnsemble operators).
///
/// Built once by a format reader on a loader thread; afterwards only read, so it is shared
/// freely by concurrent `infer` calls. Every index in it was checked at build time, which is
/// what lets `margins` walk nodes without guarding against a hostile model file.
///
/// Trees are stored one after another in `nodes`, each numbered breadth-first from its root at
/// `roots[t]`, so siblings sit side by side.
package struct TreeEnsemble: Sendable {
    /// Columns per input row; every feature index in the trees is below it.
    package let featureCount: Int
    /// Values per output row (classes or targets); every tree adds to one of them.
    package let outputCount: Int
    /// Added to each output's sum before the first tree (margin space).
    package let baseScores: [Float]
    /// How numeric splits treat a value equal to the threshold.
    package let comparison: SplitComparison
    /// Which way categorical splits send a listed category.
    package let categoryMatch: CategoryMatch
    /// Whether sums run in Float or Double.
    package let accumulation: Accumulation
    /// Which inputs count as categories at categorical splits.
    package let categoryDomain: CategoryDomain

    /// Per node, in the ensemble's numbering (see `Node`).
    let nodes: [Node]
    /// For categorical nodes: where the node's bitset starts in `categoryBits` and its length.
    let categoryStart: [Int32]
    let categoryWords: [Int32]
    let categoryBits: [UInt32]

    /// No node is categorical or treats zero as missing (every XGBoost numeric model): a row
    /// without missing values then walks with the plain comparison alone.
    let numericOnly: Bool

    // Per tree.
    let roots: [Int32]
    let treeOutput: [Int32]
    let depths: [Int32]

    /// `Node.flags` bits: a missing value goes left; the split is categorical; zero is missing.
    static let defaultLeftFlag: UInt8 = 1
    static let categoricalFlag: UInt8 = 2
    static let zeroIsMissingFlag: UInt8 = 4
    /// The flags a plain `<` cannot decide: a node with either takes `slowGoesLeft`, and an
    /// ensemble with neither anywhere is `numericOnly`.
    static let slowTestFlags: UInt8 = categoricalFlag | zeroIsMissingFlag
    /// LightGBM's `kZeroThreshold` (1e-35f): inputs this close to zero are "zero".
    static let zeroThreshold: Float = 1e-35
    /// Categories must be exactly representable as Float inputs (XGBoost uses the same bound).
    static let categoryLimit: UInt32 = 1 << 24
    /// Bounds the memory categorical bitsets may take, so a tiny hostile file cannot ask for
    /// gigabytes (4 MiB words = 16 MiB).
    static let categoryWordBudget = 1 << 22

    /// For metadata and tests.
    package var treeCount: Int { roots.count }

    /// Checks and flattens `trees`. Throws `TreeEnsembleError` naming the first tree and node
    /// that is out of range, not a tree, or inconsistent; never traps on bad input.
    package init(
        trees: [DecodedTree], featureCount: Int, outputCount: Int, baseScores: [Float],
        comparison: SplitComparison, categoryMatch: CategoryMatch, accumulation: Accumulation,
        categoryDomain: CategoryDomain = .nonNegative
    ) throws(TreeEnsembleError) {
        guard outputCount > 0, featureCount > 0 else {
            throw .emptySignature(outputs: outputCount, features: featureCount)
        }
        guard baseScores.count == outputCount else {
            throw .baseScoreCount(expected: outputCount, found: baseScores.count)
        }
        var flat = FlatNodes()
        for (index, tree) in trees.enumerated() {
            try Self.validate(tree, index: index, featureCount: featureCount, outputCount: outputCount)
            guard flat.nodes.count + tree.nodeCount < Int(Int32.max) else { throw .tooManyNodes }
            try flat.append(tree, index: index)
        }
        self.featureCount = featureCount
        self.outputCount = outputCount
        self.baseScores = baseScores
        self.comparison = comparison
        self.categoryMatch = categoryMatch
        self.accumulation = accumulation
        self.categoryDomain = categoryDomain
        nodes = flat.nodes
        categoryStart = flat.categoryStart
        categoryWords = flat.categoryWords
        categoryBits = flat.categoryBits
        numericOnly = flat.nodes.allSatisfy { $0.flags & Self.slowTestFlags == 0 }
        roots = flat.roots
        treeOutput = flat.treeOutput
        depths = flat.depths
    }

    /// Checks the nodes the root reaches; the others (XGBoost's deleted nodes) are never
    /// visited, so their contents are not trusted.
    private static func validate(
        _ tree: DecodedTree, index: Int, featureCount: Int, outputCount: Int
    ) throws(TreeEnsembleError) {
        let n = tree.nodeCount
        guard n > 0 else { throw .emptyTree(tree: index) }
        let lengths: [(String, Int)] = [
            ("right children", tree.right.count), ("features", tree.feature.count),
            ("thresholds", tree.threshold.count), ("default directions", tree.defaultLeft.count),
            ("values", tree.value.count),
        ]
        for (field, count) in lengths where count != n {
            throw .arrayLength(tree: index, field: field, expected: n, found: count)
        }
        guard tree.categories.count <= n else {
            throw .arrayLength(tree: index, field: "categories", expected: n, found: tree.categories.count)
        }
        guard tree.zeroIsMissing.count <= n else {
            throw .arrayLength(
                tree: index, field: "zero-as-missing marks", expected: n, found: tree.zeroIsMissing.count)
        }
        guard tree.output >= 0, tree.output < outputCount else {
            throw .outputOutOfRange(tree: index, output: tree.output, outputs: outputCount)
        }
        // Walk from the root with an explicit stack (deep trees must not overflow ours), visiting
        // each node at most once: that proves the reachable part is a tree, so evaluation ends.
        var seen = [Bool](repeating: false, count: n)
        var stack = [0]
        seen[0] = true
        while let node = stack.popLast() {
            let l = tree.left[node], r = tree.right[node]
            if l == -1 && r == -1 { continue }
            guard l != -1, r != -1 else { throw .halfLeaf(tree: index, node: node) }
            for child in [l, r] {
                guard child >= 0, Int(child) < n else {
                    throw .childOutOfRange(tree: index, node: node, child: child)
                }
                guard !seen[Int(child)] else { throw .notATree(tree: index, node: Int(child)) }
                seen[Int(child)] = true
                stack.append(Int(child))
            }
            let f = tree.feature[node]
            guard f >= 0, Int(f) < featureCount else {
                throw .featureOutOfRange(tree: index, node: node, feature: f, features: featureCount)
            }
            if node < tree.categories.count, let cats = tree.categories[node] {
                for c in cats where c >= categoryLimit {
                    throw .categoryOutOfRange(tree: index, node: node, category: c)
                }
            }
        }
    }
}
