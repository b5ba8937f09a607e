import SluiceCore

/// TreeEnsembleClassifier and TreeEnsembleRegressor (ai.onnx.ml) on the shared `TreeEnsemble`
/// evaluator: the node lists become `DecodedTree`s (one per tree and output it adds to), then
/// onnxruntime's aggregation (SUM or AVERAGE, base values) and post_transform, and for
/// classifiers its label rules, including the binary case where the trees score one class.
struct TreeEnsembleKernel: Kernel {
    let ensemble: TreeEnsemble
    let treeCount: Int
    let average: Bool
    let baseValues: [Float]
    let transform: MLTransform
    /// Classifiers: labels, integers or string-table indices (`MLLabels`); empty for regressors.
    let labels: [Int64]
    let labelType: ElementType
    let classifier: Bool
    /// Classifier whose trees score a single column for two labels.
    let binary: Bool
    let weightsArePositive: Bool

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: MLInput.types)
        let a = n.attributes
        let classifier = n.op == "TreeEnsembleClassifier"
        // Double thresholds and weights (`*_as_tensor`): the shared evaluator walks FP32 trees.
        for name in ["nodes_values_as_tensor", "nodes_hitrates_as_tensor", "base_values_as_tensor",
                     "class_weights_as_tensor", "target_weights_as_tensor"] where a.has(name) {
            throw n.notInFP64()
        }
        a.ignore("nodes_hitrates")
        let prefix = classifier ? "class" : "target"
        guard let treeIDs = a.ints("nodes_treeids"), let nodeIDs = a.ints("nodes_nodeids"),
            let features = a.ints("nodes_featureids"), let modes = a.strings("nodes_modes"),
            let values = a.floats("nodes_values"), let trueIDs = a.ints("nodes_truenodeids"),
            let falseIDs = a.ints("nodes_falsenodeids"),
            let leafTrees = a.ints("\(prefix)_treeids"), let leafNodes = a.ints("\(prefix)_nodeids"),
            let leafOutputs = a.ints("\(prefix)_ids"), let leafWeights = a.floats("\(prefix)_weights")
        else {
            throw n.fail("the node and leaf attribute lists are required")
        }
        let tracksTrue = a.ints("nodes_missing_value_tracks_true") ?? []
        let count = treeIDs.count
        guard [nodeIDs.count, features.count, modes.count, values.count, trueIDs.count, falseIDs.count].allSatisfy({ $0 == count }),
            tracksTrue.isEmpty || tracksTrue.count == count,
            [leafNodes.count, leafOutputs.count, leafWeights.count].allSatisfy({ $0 == leafTrees.count })
        else {
            throw n.fail("node or leaf attribute lists differ in length")
        }
        var labels: [Int64] = []
        var labelType = ElementType.int64, labelStrings: [[UInt8]] = []
        let outputCount: Int
        if classifier {
            let read = try MLLabels(n, "classlabels_int64s")
            (labels, labelType, labelStrings) = (read.values, read.type, read.strings)
            outputCount = labels.count
        } else {
            outputCount = a.int("n_targets", default: 1)
        }
        guard outputCount > 0 else { throw n.fail("no outputs") }
        // Each output has a base score and a column of the answer: a count from the file must
        // not size them beyond any tensor.
        guard outputCount <= n.limits.maxTensorElements else {
            throw n.fail("\(outputCount) outputs are beyond limits.max_model_tensor_elements (\(n.limits.maxTensorElements))")
        }
        var average = false
        if !classifier {
            switch a.string("aggregate_function") ?? "SUM" {
            case "SUM": break
            case "AVERAGE": average = true
            case let other: throw n.fail("aggregate_function '\(other)' is not supported (SUM and AVERAGE are)")
            }
        }
        let transform = try MLTransform(n)
        let baseValues = a.floats("base_values") ?? []
        let usedOutputs = Set(leafOutputs)
        for o in usedOutputs where o < 0 || o >= outputCount { throw n.fail("leaf output \(o) is out of range (\(outputCount) outputs)") }
        let binary = classifier && outputCount == 2 && usedOutputs.count <= 1 && !usedOutputs.contains(1)
        if binary, transform == .probit { throw n.fail("PROBIT on a binary classifier is not supported") }

        // Comparison: one rule for the whole ensemble (the evaluator's), children swapped for GT/GTE.
        var comparison: SplitComparison?
        for m in Set(modes) where m != "LEAF" {
            let c: SplitComparison
            switch m {
            case "BRANCH_LEQ", "BRANCH_GT": c = .lessOrEqual
            case "BRANCH_LT", "BRANCH_GTE": c = .less
            default: throw n.fail("node mode \(m) is not supported")
            }
            if let comparison, comparison != c {
                throw n.fail("mixing <= and < splits (\(Set(modes).sorted().joined(separator: ", "))) in one ensemble is not supported")
            }
            comparison = c
        }
        var trees: [DecodedTree] = []
        var order: [Int] = []
        var nodesOfTree: [Int: [Int]] = [:]
        for i in 0..<count {
            if nodesOfTree[treeIDs[i]] == nil { order.append(treeIDs[i]) }
            nodesOfTree[treeIDs[i], default: []].append(i)
        }
        var leavesOfTree: [Int: [Int]] = [:]
        for j in 0..<leafTrees.count { leavesOfTree[leafTrees[j], default: []].append(j) }
        var featureCount = 1
        for tree in order {
            let members = nodesOfTree[tree] ?? []
            var local: [Int: Int] = [:]
            for (k, i) in members.enumerated() {
                guard local[nodeIDs[i]] == nil else { throw n.fail("tree \(tree) has node \(nodeIDs[i]) twice") }
                local[nodeIDs[i]] = k
            }
            // The root is the node no other node points to; it must come first.
            var children = Set<Int>()
            for i in members where modes[i] != "LEAF" {
                children.insert(trueIDs[i])
                children.insert(falseIDs[i])
            }
            guard let root = members.firstIndex(where: { !children.contains(nodeIDs[$0]) }) else {
                throw n.fail("tree \(tree) has no root")
            }
            var renumber = Array(0..<members.count)
            renumber.swapAt(0, root)
            var position = [Int](repeating: 0, count: members.count)
            for (newIndex, oldIndex) in renumber.enumerated() { position[oldIndex] = newIndex }
            let size = members.count
            var feature = [Int32](repeating: -1, count: size), threshold = [Float](repeating: 0, count: size)
            var left = [Int32](repeating: -1, count: size), right = [Int32](repeating: -1, count: size)
            var defaultLeft = [Bool](repeating: false, count: size)
            for (k, i) in members.enumerated() where modes[i] != "LEAF" {
                let p = position[k]
                guard let t = local[trueIDs[i]], let f = local[falseIDs[i]] else {
                    throw n.fail("tree \(tree) node \(nodeIDs[i]) points to a missing node")
                }
                guard features[i] >= 0, features[i] < 1 << 24 else { throw n.fail("feature \(features[i]) is out of range") }
                featureCount = max(featureCount, features[i] + 1)
                // BRANCH_GT/GTE: "true" is the evaluator's right-hand (greater) side.
                let swapped = modes[i] == "BRANCH_GT" || modes[i] == "BRANCH_GTE"
                let (l, r) = swapped ? (f, t) : (t, f)
                feature[p] = Int32(features[i])
                threshold[p] = values[i]
                left[p] = Int32(position[l])
                right[p] = Int32(position[r])
                let missingTrue = !tracksTrue.isEmpty && tracksTrue[i] != 0
                // NaN fails every comparison, so it takes the false branch unless tracked true.
                defaultLeft[p] = missingTrue != swapped
            }
            var perOutput: [Int: [Float]] = [:]
            for j in leavesOfTree[tree] ?? [] {
                guard let k = local[leafNodes[j]] else { throw n.fail("tree \(tree) has no node \(leafNodes[j]) for a leaf weight") }
                perOutput[leafOutputs[j], default: [Float](repeating: 0, count: size)][position[k]] += leafWeights[j]
            }
            for output in perOutput.keys.sorted() {
                trees.append(DecodedTree(
                    feature: feature, threshold: threshold, left: left, right: right, defaultLeft: defaultLeft,
                    value: perOutput[output] ?? [], output: output))
            }
        }
        let ensemble: TreeEnsemble
        do {
            ensemble = try TreeEnsemble(
                trees: trees, featureCount: featureCount, outputCount: outputCount,
                baseScores: Array(repeating: 0, count: outputCount), comparison: comparison ?? .lessOrEqual,
                categoryMatch: .goesLeft, accumulation: .float)
        } catch {
            throw n.fail(error.description)
        }
        let kernel = TreeEnsembleKernel(
            ensemble: ensemble, treeCount: order.count, average: average, baseValues: baseValues, transform: transform,
            labels: labels, labelType: labelType, classifier: classifier, binary: binary,
            weightsArePositive: leafWeights.allSatisfy { $0 >= 0 })
        return Compiled(
            kernel: kernel, outputTypes: classifier ? [labelType, .float] : [.float], requiredOutputs: classifier ? 2 : 1,
            strings: labelStrings)
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        // An FP64 input compares with the FP32 thresholds as in double (see `MLInput.rows`).
        let rounding: FloatingPointRoundingRule = ensemble.comparison == .lessOrEqual ? .up : .down
        let (x, rows, columns) = try MLInput.rows(ws.input(io, 0), io, ws, rounding: rounding)
        let features = ensemble.featureCount
        guard columns >= features else { throw io.fail("input has \(columns) features; the trees read \(features)") }
        let width = ensemble.outputCount
        let scores = try ws.output(io, classifier ? 1 : 0, .float, [rows, width], as: Float.self)
        // The evaluator reads exactly `featureCount` columns: narrow wider rows first.
        let packed: UnsafePointer<Float>
        if columns == features {
            packed = x
        } else {
            let narrow = UnsafeMutablePointer<Float>.allocate(capacity: max(rows * features, 1))
            for r in 0..<rows { (narrow + r * features).update(from: x + r * columns, count: features) }
            packed = UnsafePointer(narrow)
        }
        defer { if packed != x { packed.deallocate() } }
        ensemble.margins(
            UnsafeBufferPointer(start: packed, count: rows * features), rows: rows,
            into: UnsafeMutableBufferPointer(start: scores, count: rows * width))
        guard classifier else {
            for r in 0..<rows {
                let row = scores + r * width
                for t in 0..<width {
                    let base = baseValues.count == width ? baseValues[t] : (baseValues.count == 1 ? baseValues[0] : 0)
                    row[t] = (average ? row[t] / Float(treeCount) : row[t]) + base
                }
                if transform == .probit { for t in 0..<width { row[t] = MLTransform.probit(row[t]) } }
            }
            return
        }
        let label = try ws.output(io, 0, labelType, [rows], as: Int64.self)
        for r in 0..<rows {
            let row = scores + r * width
            if binary {
                var s = row[0]
                if baseValues.count == 2 { s += baseValues[1] } else if baseValues.count == 1 { s += baseValues[0] }
                if weightsArePositive {
                    label[r] = s > 0.5 ? labels[1] : labels[0]
                    row[0] = 1 - s
                    row[1] = s
                } else {
                    label[r] = s > 0 ? labels[1] : labels[0]
                    if transform == .logistic {
                        row[0] = MLTransform.logistic(-s)
                        row[1] = MLTransform.logistic(s)
                    } else if s > 0 {
                        row[0] = -s
                        row[1] = s
                    } else {
                        row[0] = s
                        row[1] = -s
                    }
                }
                continue
            }
            if baseValues.count == width { for t in 0..<width { row[t] += baseValues[t] } }
            var best = 0
            for t in 1..<width where row[t] > row[best] { best = t }
            label[r] = labels[best]
            transform.apply(row, width)
        }
    }
}
