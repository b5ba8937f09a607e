import SluiceCore

/// LinearClassifier and LinearRegressor (ai.onnx.ml): scores = X·coefficientsᵀ + intercepts by
/// one sgemm, then onnxruntime's post_transform and, for classifiers, the label of the best
/// score (integer or string labels).
struct LinearKernel: Kernel {
    let coefficients: [Float]
    let intercepts: [Float]
    let targets: Int
    let transform: MLTransform
    /// Classifiers only: class labels (empty for regressors): integers, or string-table
    /// indices when `labelType` is string (`MLLabels`).
    let labels: [Int64]
    let labelType: ElementType
    let classifier: Bool

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: MLInput.types)
        let a = n.attributes
        let classifier = n.op == "LinearClassifier"
        guard let coefficients = a.floats("coefficients"), !coefficients.isEmpty else {
            throw n.fail("attribute 'coefficients' is required")
        }
        let transform = try MLTransform(n)
        var intercepts = a.floats("intercepts") ?? []
        var labels: [Int64] = []
        var labelType = ElementType.int64, labelStrings: [[UInt8]] = []
        let targets: Int
        if classifier {
            let read = try MLLabels(n, "classlabels_ints")
            (labels, labelType, labelStrings) = (read.values, read.type, read.strings)
            a.ignore("multi_class")
            targets = intercepts.isEmpty ? labels.count : intercepts.count
            guard targets == labels.count || (targets == 1 && labels.count == 2) else {
                throw n.fail("\(targets) score columns for \(labels.count) class labels")
            }
        } else {
            targets = a.int("targets", default: 1)
        }
        guard targets > 0, coefficients.count % targets == 0 else {
            throw n.fail("\(coefficients.count) coefficients do not divide into \(targets) targets")
        }
        if intercepts.isEmpty { intercepts = Array(repeating: 0, count: targets) }
        guard intercepts.count == targets else { throw n.fail("\(intercepts.count) intercepts for \(targets) targets") }
        let kernel = LinearKernel(
            coefficients: coefficients, intercepts: intercepts, targets: targets, transform: transform, labels: labels,
            labelType: labelType, classifier: classifier)
        return Compiled(
            kernel: kernel, outputTypes: classifier ? [labelType, .float] : [.float], requiredOutputs: classifier ? 2 : 1,
            strings: labelStrings)
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let (x, rows, columns) = try MLInput.rows(ws.input(io, 0), io, ws)
        guard columns * targets == coefficients.count else {
            throw io.fail("input has \(columns) features; the model takes \(coefficients.count / targets)")
        }
        let binary = classifier && targets == 1
        let width = binary ? 2 : targets
        let scoreIndex = classifier ? 1 : 0
        let scores = try ws.output(io, scoreIndex, .float, [rows, width], as: Float.self)
        for r in 0..<rows { for t in 0..<targets { scores[r * width + t] = intercepts[t] } }
        coefficients.withUnsafeBufferPointer { w in
            guard let weights = w.baseAddress else { return }
            sgemm(transB: true, m: rows, n: targets, k: columns, x, lda: columns, weights, ldb: columns, beta: 1, scores, ldc: width)
        }
        guard classifier else {
            for r in 0..<rows { transform.apply(scores + r * width, width) }
            return
        }
        let label = try ws.output(io, 0, labelType, [rows], as: Int64.self)
        for r in 0..<rows {
            let row = scores + r * width
            if binary {
                let s = row[0]
                label[r] = s > 0 ? labels[1] : labels[0]
                let p = transform == .logistic ? MLTransform.logistic(s) : s
                row[0] = 1 - p
                row[1] = p
            } else {
                var best = 0
                for t in 1..<max(targets, 1) where row[t] > row[best] { best = t }
                label[r] = labels[best]
                transform.apply(row, width)
            }
        }
    }
}

/// Scaler: `(x - offset) · scale` per column (one value broadcasts), answering FP32.
struct ScalerKernel: Kernel {
    let offset: [Float]
    let scale: [Float]

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: MLInput.types)
        let offset = n.attributes.floats("offset") ?? [0]
        let scale = n.attributes.floats("scale") ?? [1]
        guard !offset.isEmpty, !scale.isEmpty else { throw n.fail("offset and scale must not be empty") }
        return Compiled(kernel: ScalerKernel(offset: offset, scale: scale), outputTypes: [.float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let input = ws.input(io, 0)
        let (x, rows, columns) = try MLInput.rows(input, io, ws)
        guard (offset.count == 1 || offset.count == columns), (scale.count == 1 || scale.count == columns) else {
            throw io.fail("input has \(columns) features; the scaler has \(max(offset.count, scale.count))")
        }
        let out = try ws.output(io, 0, .float, input.shape, as: Float.self)
        for r in 0..<rows {
            for c in 0..<columns {
                let o = offset.count == 1 ? offset[0] : offset[c]
                let s = scale.count == 1 ? scale[0] : scale[c]
                out[r * columns + c] = (x[r * columns + c] - o) * s
            }
        }
    }
}

/// Normalizer: each row divided by its MAX, L1 or L2 norm (unchanged when the norm is 0).
struct NormalizerKernel: Kernel {
    enum Norm: Sendable { case max, l1, l2 }
    let norm: Norm

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: MLInput.types)
        let norm: Norm
        switch n.attributes.string("norm") ?? "MAX" {
        case "MAX": norm = .max
        case "L1": norm = .l1
        case "L2": norm = .l2
        case let other: throw n.fail("norm '\(other)' is not supported")
        }
        return Compiled(kernel: NormalizerKernel(norm: norm), outputTypes: [.float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let input = ws.input(io, 0)
        let (x, rows, columns) = try MLInput.rows(input, io, ws)
        let out = try ws.output(io, 0, .float, input.shape, as: Float.self)
        for r in 0..<rows {
            let row = x + r * columns
            var d: Float
            switch norm {
            case .max:
                d = -Float.greatestFiniteMagnitude
                for c in 0..<columns { d = Swift.max(d, row[c]) }
            case .l1:
                d = 0
                for c in 0..<columns { d += Swift.abs(row[c]) }
            case .l2:
                d = 0
                for c in 0..<columns { d += row[c] * row[c] }
                d = d.squareRoot()
            }
            for c in 0..<columns { out[r * columns + c] = d != 0 ? row[c] / d : row[c] }
        }
    }
}

/// ArrayFeatureExtractor (ai.onnx.ml): picks columns of the last axis by int64 indices, as
/// skl2onnx does to turn a class index into its label.
struct ArrayFeatureExtractorKernel: Kernel {
    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...2)
        _ = try n.type(1, in: [.int64])
        return Compiled(kernel: ArrayFeatureExtractorKernel(), outputTypes: [try n.type(0)])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0), indices = ws.input(io, 1)
        guard x.rank >= 1 else { throw io.fail("input must have at least one dimension") }
        let last = x.shape[x.rank - 1]
        let ids = indices.integers()
        for i in ids where i < 0 || i >= last { throw io.fail("index \(i) is out of range for \(last) columns") }
        let rows = x.count / max(last, 1)
        var shape = x.shape
        shape[x.rank - 1] = ids.count
        if x.rank == 1 { shape = [1, ids.count] }
        let size = x.type.size
        let out = try ws.output(io, 0, x.type, shape)
        var o = 0
        for r in 0..<rows {
            for i in ids {
                copyElements(out + o * size, x.base + (r * last + i) * size, count: 1, size: size)
                o += 1
            }
        }
    }
}

/// ZipMap (ai.onnx.ml) turns a classifier's [N, C] probabilities into a sequence of
/// {label: probability} maps, which the Open Inference Protocol cannot carry. Sluice serves
/// the probabilities tensor itself under the ZipMap's output name (columns in the order of the
/// ZipMap's class labels), and says so in its note (load log and model metadata).
struct ZipMapKernel: Kernel {
    let classes: Int

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: [.float])
        let ints = n.attributes.ints("classlabels_int64s"), strings = n.attributes.strings("classlabels_strings")
        let labels = ints.map { $0.map(String.init) } ?? strings.map { $0.map { "'\($0)'" } } ?? []
        guard !labels.isEmpty, (ints == nil) != (strings == nil) else {
            throw n.fail("exactly one of classlabels_int64s and classlabels_strings is required")
        }
        let shown = labels.count <= 10 ? labels.joined(separator: ", ") : labels.prefix(10).joined(separator: ", ") + ", …"
        var compiled = Compiled(kernel: ZipMapKernel(classes: labels.count), outputTypes: [.float])
        compiled.outputDims = [[-1, labels.count]]
        compiled.note = "ZipMap '\(n.name)': its output is served as an FP32 [rows, \(labels.count)] tensor of probabilities (columns for labels \(shown)) instead of a sequence of maps"
        return compiled
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        guard x.rank == 2, x.shape[1] == classes else { throw io.fail("input \(x.shape) is not [N, \(classes)]") }
        try copyElements(ws.output(io, 0, .float, x.shape), x.base, count: x.count, size: x.type.size)
    }
}
