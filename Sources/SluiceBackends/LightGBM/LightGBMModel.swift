import SluiceCore

/// The parts of a LightGBM `model.txt` that serving needs, decoded and checked: objective,
/// signature sizes, rf averaging and the trees as a `TreeEnsemble`. Built by
/// `LightGBMBackend.load` on a loader thread; every failure is `ServingError.loadFailure`
/// naming the file (and the tree and key where there is one).
///
/// Header keys read: `num_class`, `num_tree_per_iteration`, `max_feature_idx`, `objective`,
/// `average_output`. Tree `k` adds to output `k % num_tree_per_iteration`, as LightGBM's
/// predictor does.
struct LightGBMModel {
    let objective: LightGBMObjective
    let featureCount: Int
    let outputCount: Int
    /// rf mode (`average_output`): predict divides each sum by the number of iterations.
    /// nil when scores are plain sums.
    let iterations: Int?
    let ensemble: TreeEnsemble
    /// Set when any tree is linear (`is_linear=1`): then it computes the raw scores.
    let linear: LightGBMLinearTrees?

    init(text: LightGBMText) throws(ServingError) {
        let header = text.header
        let objectiveLine = header.optional("objective")
        guard let objective = LightGBMObjective.parse(objectiveLine) else {
            throw header.fail("objective '\(objectiveLine?.prefix(60) ?? "")' is not supported")
        }
        let maxFeature = try header.int("max_feature_idx")
        guard maxFeature >= 0, maxFeature < 1 << 24 else {
            throw header.fail("max_feature_idx \(maxFeature) is out of range")
        }
        let classes = try header.int("num_class")
        let perIteration = try header.int("num_tree_per_iteration")
        guard classes >= 1, classes <= 1 << 16, perIteration >= 1, perIteration <= 1 << 16 else {
            throw header.fail("num_class \(classes) and num_tree_per_iteration \(perIteration) are out of range")
        }
        switch objective.answer {
        case .multiClassifier:
            guard classes >= 2, perIteration == classes else {
                throw header.fail(
                    "\(objective.name) needs num_class >= 2 trees per iteration, found num_class \(classes), num_tree_per_iteration \(perIteration)")
            }
        case .binaryClassifier, .regressor:
            guard perIteration == 1 else {
                throw header.fail("\(objective.name) with \(perIteration) trees per iteration is not supported")
            }
        }
        guard text.trees.count % perIteration == 0 else {
            throw header.fail("\(text.trees.count) trees is not a whole number of iterations of \(perIteration)")
        }

        var trees: [DecodedTree] = []
        trees.reserveCapacity(text.trees.count)
        for (index, section) in text.trees.enumerated() {
            trees.append(try Self.decodeTree(section, output: index % perIteration))
        }
        do {
            ensemble = try TreeEnsemble(
                trees: trees, featureCount: maxFeature + 1, outputCount: perIteration,
                baseScores: Array(repeating: 0, count: perIteration), comparison: .lessOrEqual,
                categoryMatch: .goesLeft, accumulation: .double, categoryDomain: .truncatedToInt)
        } catch {
            throw header.fail(error.description)
        }
        let isLinear = text.trees.contains { $0.optional("is_linear").map { $0 != "0" } ?? false }
        linear = isLinear
            ? try LightGBMLinearTrees(
                sections: text.trees, decoded: trees, featureCount: maxFeature + 1, outputCount: perIteration)
            : nil
        self.objective = objective
        featureCount = maxFeature + 1
        outputCount = perIteration
        let rounds = text.trees.count / perIteration
        iterations = header.flags.contains("average_output") && rounds > 0 ? rounds : nil
    }
}
