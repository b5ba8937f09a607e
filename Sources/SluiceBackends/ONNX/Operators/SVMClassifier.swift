import SluiceCore

/// SVMClassifier (ai.onnx.ml), following onnxruntime. With support vectors (libsvm's form,
/// `vectors_per_class`), each pair of classes i < j has a decision value from the kernels of
/// both classes' vectors plus its `rho`; the pair votes for i when it is positive, and the
/// label is the class with the most votes. The scores are those decision values ([N, pairs],
/// [N, 2] as [-s, s] for two classes), or with `prob_a`/`prob_b` libsvm's probabilities: each
/// pair's Platt sigmoid, coupled into one probability per class (Wu, Lin and Weng's method, as
/// libsvm and onnxruntime iterate it). Without support vectors (the linear form) the scores
/// are x·coefficients[c] + rho[0] per class, the label the best score. Integer or string labels (`MLLabels`).
struct SVMClassifierKernel: Kernel {
    let function: SVMKernelFunction
    let labels: [Int64]
    /// INT64, or STRING when `labels` are indices of the plan's strings (`MLLabels`).
    let labelType: ElementType
    /// Empty in the linear form.
    let vectorsPerClass: [Int]
    let firstVector: [Int]
    let vectorCount: Int
    /// In FP64 (`SVMKernelFunction`); in the linear form the coefficients are the vectors.
    let vectors: [Double]
    let coefficients: [Double]
    let features: Int
    let rho: [Float]
    let probA: [Float]
    let probB: [Float]
    let transform: MLTransform
    let weightsArePositive: Bool

    var classes: Int { labels.count }
    var pairs: Int { classes * (classes - 1) / 2 }
    var linearForm: Bool { vectorsPerClass.isEmpty }
    var hasProbabilities: Bool { !probA.isEmpty }
    /// Columns of the score output.
    var width: Int { hasProbabilities || linearForm ? classes : max(pairs, 2) }

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: MLInput.types)
        let a = n.attributes
        let read = try MLLabels(n, "classlabels_ints")
        let labels = read.values
        guard labels.count >= 2, labels.count < 65536 else {
            throw n.fail("\(labels.count) class labels; the operator takes 2 to 65535")
        }
        guard let coefficients = a.floats("coefficients"), !coefficients.isEmpty else {
            throw n.fail("attribute 'coefficients' is required")
        }
        guard let rho = a.floats("rho"), !rho.isEmpty else { throw n.fail("attribute 'rho' is required") }
        let probA = a.floats("prob_a") ?? [], probB = a.floats("prob_b") ?? []
        guard probA.count == probB.count else { throw n.fail("prob_a has \(probA.count) values, prob_b \(probB.count)") }
        let transform = try MLTransform(n)
        let perClass = a.ints("vectors_per_class") ?? []
        let vectors = a.floats("support_vectors") ?? []
        let classes = labels.count, pairs = classes * (classes - 1) / 2
        var first: [Int] = []
        var vectorCount = 0
        for count in perClass {
            guard count >= 0, count <= n.limits.maxTensorElements - vectorCount else {
                throw n.fail("vectors_per_class \(perClass) is negative or beyond limits.max_model_tensor_elements")
            }
            first.append(vectorCount)
            vectorCount += count
        }
        let features: Int
        if vectorCount > 0 {
            guard perClass.count == classes else {
                throw n.fail("vectors_per_class has \(perClass.count) entries for \(classes) class labels")
            }
            guard vectors.count % vectorCount == 0, !vectors.isEmpty else {
                throw n.fail("\(vectors.count) support vector values do not divide into \(vectorCount) vectors")
            }
            features = vectors.count / vectorCount
            guard coefficients.count >= (classes - 1) * vectorCount else {
                throw n.fail("\(coefficients.count) coefficients; \(classes) classes and \(vectorCount) vectors need \((classes - 1) * vectorCount)")
            }
            guard rho.count >= pairs else { throw n.fail("\(rho.count) rho values for \(pairs) class pairs") }
            guard probA.isEmpty || probA.count >= pairs else {
                throw n.fail("\(probA.count) prob_a values for \(pairs) class pairs")
            }
            // Coupling works on a classes × classes matrix per row.
            guard probA.isEmpty || classes * classes <= n.limits.maxTensorElements else {
                throw n.fail("\(classes) classes with probabilities need a \(classes)×\(classes) matrix, beyond limits.max_model_tensor_elements")
            }
            if probA.isEmpty, classes == 2, transform == .probit {
                throw n.fail("PROBIT on a two-class SVM without probabilities is not supported")
            }
        } else {
            guard vectors.isEmpty else { throw n.fail("support_vectors without vectors_per_class") }
            guard coefficients.count % classes == 0 else {
                throw n.fail("\(coefficients.count) coefficients do not divide into \(classes) classes")
            }
            features = coefficients.count / classes
        }
        let kernel = SVMClassifierKernel(
            function: try SVMKernelFunction(n, linearForm: vectorCount == 0), labels: labels, labelType: read.type,
            vectorsPerClass: vectorCount > 0 ? perClass : [], firstVector: first, vectorCount: vectorCount,
            vectors: (vectorCount > 0 ? vectors : coefficients).map { Double($0) },
            coefficients: coefficients.map { Double($0) }, features: features, rho: rho, probA: probA, probB: probB,
            transform: transform, weightsArePositive: coefficients.allSatisfy { $0 >= 0 })
        return Compiled(kernel: kernel, outputTypes: [read.type, .float], requiredOutputs: 2, strings: read.strings)
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let (x, rows, columns) = try MLInput.rows(ws.input(io, 0), io, ws)
        guard columns == features else { throw io.fail("input has \(columns) features; the model takes \(features)") }
        let label = try ws.output(io, 0, labelType, [rows], as: Int64.self)
        let scores = try ws.output(io, 1, .float, [rows, width], as: Float.self)
        if linearForm {
            let k = try function.matrix(
                x, rows: rows, features: features, vectors: vectors, count: classes, bias: Double(rho[0]), io, ws)
            for r in 0..<rows {
                let row = scores + r * width
                for c in 0..<classes { row[c] = Float(k[r * classes + c]) }
                var best = 0
                for c in 1..<classes where row[c] > row[best] { best = c }
                label[r] = choose(best, weight: row[best])
                finish(row)
            }
            return
        }
        let k = try function.matrix(x, rows: rows, features: features, vectors: vectors, count: vectorCount, bias: 0, io, ws)
        var decisions = [Float](repeating: 0, count: pairs)
        var votes = [Int](repeating: 0, count: classes)
        for r in 0..<rows {
            let kernels = r * vectorCount
            for c in 0..<classes { votes[c] = 0 }
            var pair = 0
            for i in 0..<classes - 1 {
                for j in i + 1..<classes {
                    // Class i's vectors weighted by their coefficients against j (row j - 1),
                    // class j's against i (row i).
                    var sum = Double(rho[pair])
                    for m in 0..<vectorsPerClass[i] {
                        let v = firstVector[i] + m
                        sum += coefficients[(j - 1) * vectorCount + v] * k[kernels + v]
                    }
                    for m in 0..<vectorsPerClass[j] {
                        let v = firstVector[j] + m
                        sum += coefficients[i * vectorCount + v] * k[kernels + v]
                    }
                    decisions[pair] = Float(sum)
                    votes[sum > 0 ? i : j] += 1
                    pair += 1
                }
            }
            var winner = 0
            for c in 1..<classes where votes[c] > votes[winner] { winner = c }
            label[r] = choose(winner, weight: 0)
            let row = scores + r * width
            if hasProbabilities {
                couple(decisions, into: row)
            } else {
                for p in 0..<pairs { row[p] = decisions[p] }
            }
            finish(row)
        }
    }

    /// onnxruntime's label rule: with two classes and no probabilities, a score (the linear
    /// form's best) above 0.5 for all-positive weights, or above 0 otherwise, picks the second
    /// label; everything else picks the label of `best`.
    private func choose(_ best: Int, weight: Float) -> Int64 {
        guard classes == 2, !hasProbabilities else { return labels[best] }
        if weightsArePositive && weight >= 0.5 { return labels[1] }
        if !weightsArePositive && weight > 0 { return labels[1] }
        return labels[best]
    }

    /// The post_transform over the row's scores; a lone two-class decision value s becomes
    /// [-s, s] (NONE) or [1 - s, s] (any other transform, which onnxruntime then skips).
    private func finish(_ row: UnsafeMutablePointer<Float>) {
        let count = hasProbabilities || linearForm ? classes : pairs
        if count > 1 {
            transform.apply(row, count)
            return
        }
        let s = row[0]
        row[0] = transform == .none ? -s : 1 - s
        row[1] = s
    }

    /// Pairwise probabilities from each decision value's Platt sigmoid (clamped to
    /// [1e-7, 1 - 1e-7]), coupled into one probability per class.
    private func couple(_ decisions: [Float], into p: UnsafeMutablePointer<Float>) {
        let k = classes
        var r = [Float](repeating: 0, count: k * k)
        var pair = 0
        for i in 0..<k - 1 {
            for j in i + 1..<k {
                let platt = 1 - MLTransform.logistic(decisions[pair] * probA[pair] + probB[pair])
                let v = Swift.min(Swift.max(platt, 1e-7), 1 - 1e-7)
                r[i * k + j] = v
                r[j * k + i] = 1 - v
                pair += 1
            }
        }
        Self.coupling(k, r, into: p)
    }

    /// Wu, Lin and Weng (2004), method 2, in FP32 with libsvm's stopping rule (at most 100
    /// sweeps, until every |Qp_i - pQp| < 0.005 / k): the p minimising Σ (r_ji p_i - r_ij p_j)²
    /// with Σ p = 1. `r[j * k + i]` is the probability of i over j.
    static func coupling(_ k: Int, _ r: [Float], into p: UnsafeMutablePointer<Float>) {
        var q = [Float](repeating: 0, count: k * k)
        var qp = [Float](repeating: 0, count: k)
        let eps = 0.005 / Float(k)
        for i in 0..<k {
            p[i] = 1 / Float(k)
            for j in 0..<i {
                q[i * k + i] += r[j * k + i] * r[j * k + i]
                q[i * k + j] = q[j * k + i]
            }
            for j in i + 1..<k {
                q[i * k + i] += r[j * k + i] * r[j * k + i]
                q[i * k + j] = -r[j * k + i] * r[i * k + j]
            }
        }
        for _ in 0..<100 {
            var pqp: Float = 0
            for i in 0..<k {
                qp[i] = 0
                for j in 0..<k { qp[i] += q[i * k + j] * p[j] }
                pqp += p[i] * qp[i]
            }
            var largest: Float = 0
            for i in 0..<k { largest = Swift.max(largest, Swift.abs(qp[i] - pqp)) }
            if largest < eps { break }
            for i in 0..<k {
                let diff = (-qp[i] + pqp) / q[i * k + i]
                p[i] += diff
                pqp = (pqp + diff * (diff * q[i * k + i] + 2 * qp[i])) / (1 + diff) / (1 + diff)
                for j in 0..<k {
                    qp[j] = (qp[j] + diff * q[i * k + j]) / (1 + diff)
                    p[j] /= (1 + diff)
                }
            }
        }
    }
}
