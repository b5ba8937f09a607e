import SluiceCore

/// LightGBM's linear trees (`linear_tree=true`): each leaf holds a linear model of a few
/// features, `leaf_const + Σ leaf_coeff[i] · x[leaf_features[i]]`, computed in Double, and falls
/// back to its constant `leaf_value` when one of those features is missing (NaN), as
/// LightGBM's `Tree::Predict` does. Built by `LightGBMModel` on a loader thread; immutable, read
/// by concurrent `infer` calls.
///
/// The walk to the leaf is the shared evaluator's: `leafIndex` is the model's trees with each
/// leaf's value replaced by its index and each tree adding to an output of its own, so its
/// "margins" are the leaf every tree reaches (exact: indices are below 2^24).
struct LightGBMLinearTrees: Sendable {
    struct Tree: Sendable {
        let leafValue: [Double]
        let leafConst: [Double]
        /// Leaf l's terms are `features[starts[l]..<starts[l + 1]]` with `coefficients` alike.
        let starts: [Int]
        let features: [Int]
        let coefficients: [Double]
    }

    let leafIndex: TreeEnsemble
    let trees: [Tree]
    /// Tree t adds to output `t % outputCount`.
    let outputCount: Int

    /// `sections` are the `Tree=N` blocks and `decoded` the same trees as `LightGBMModel.decodeTree`
    /// read them (split nodes first, then leaves). Throws a load failure naming the tree and key.
    init(
        sections: [LightGBMText.Section], decoded: [DecodedTree], featureCount: Int, outputCount: Int
    ) throws(ServingError) {
        var indexTrees: [DecodedTree] = []
        var trees: [Tree] = []
        for (t, (section, tree)) in zip(sections, decoded).enumerated() {
            let leaves = try section.int("num_leaves")
            let leafValue = try section.list("leaf_value", count: leaves) { Double($0) }
            var indexTree = tree
            let splits = leaves - 1
            for leaf in 0..<leaves { indexTree.value[splits + leaf] = Float(leaf) }
            indexTree.output = t
            indexTrees.append(indexTree)
            guard section.optional("is_linear").map({ $0 != "0" }) ?? false else {
                trees.append(
                    Tree(leafValue: leafValue, leafConst: leafValue, starts: Array(repeating: 0, count: leaves + 1),
                        features: [], coefficients: []))
                continue
            }
            let leafConst = try section.list("leaf_const", count: leaves) { Double($0) }
            let counts = try section.list("num_features", count: leaves) { Int($0) }
            var starts = [0]
            for count in counts {
                guard count >= 0, count <= featureCount else { throw section.fail("num_features \(count) is out of range") }
                starts.append(starts[starts.count - 1] + count)  // at most leaves × 2^24: no overflow
            }
            let total = starts[starts.count - 1]
            let features = try section.list("leaf_features", count: total) { Int($0) }
            let coefficients = try section.list("leaf_coeff", count: total) { Double($0) }
            for (i, f) in features.enumerated() where f < 0 || f >= featureCount {
                throw section.fail("leaf_features[\(i)] = \(f) is out of range (the model has \(featureCount) features)")
            }
            trees.append(
                Tree(leafValue: leafValue, leafConst: leafConst, starts: starts, features: features,
                    coefficients: coefficients))
        }
        do {
            leafIndex = try TreeEnsemble(
                trees: indexTrees, featureCount: featureCount, outputCount: indexTrees.count,
                baseScores: Array(repeating: 0, count: indexTrees.count), comparison: .lessOrEqual,
                categoryMatch: .goesLeft, accumulation: .double, categoryDomain: .truncatedToInt)
        } catch {
            throw .loadFailure("\(sections.first?.file ?? "model.txt"): \(error.description)")
        }
        self.trees = trees
        self.outputCount = outputCount
    }

    /// Row-major `rows × featureCount` in, `rows × outputCount` raw scores out, each the Double
    /// sum of its trees' outputs in tree order. Called from any thread; sizes checked by the backend.
    /// The leaf indices come a block of rows at a time (about 2^20 of them): all rows × trees at
    /// once would let a large request to a large model ask for gigabytes.
    func margins(_ x: [Float], rows: Int) -> [Float] {
        let treeCount = trees.count
        let featureCount = leafIndex.featureCount
        var out = [Float](repeating: 0, count: rows * outputCount)
        var sums = [Double](repeating: 0, count: outputCount)
        let block = max(1, (1 << 20) / max(treeCount, 1))
        var start = 0
        while start < rows {
            let count = min(block, rows - start)
            let leaves = leafIndex.margins(Array(x[start * featureCount..<(start + count) * featureCount]), rows: count)
            for r in 0..<count {
                let row = start + r
                for o in 0..<outputCount { sums[o] = 0 }
                let first = row * featureCount
                for (t, tree) in trees.enumerated() {
                    let leaf = Int(leaves[r * treeCount + t])
                    var value = tree.leafConst[leaf]
                    for i in tree.starts[leaf]..<tree.starts[leaf + 1] {
                        let feature = x[first + tree.features[i]]
                        if feature.isNaN {
                            value = tree.leafValue[leaf]
                            break
                        }
                        value += tree.coefficients[i] * Double(feature)
                    }
                    sums[t % outputCount] += value
                }
                for o in 0..<outputCount { out[row * outputCount + o] = Float(sums[o]) }
            }
            start += count
        }
        return out
    }
}
