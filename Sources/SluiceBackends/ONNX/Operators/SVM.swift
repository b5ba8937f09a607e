import Foundation
import SluiceCore

/// The kernel function of SVMClassifier and SVMRegressor (ai.onnx.ml), as onnxruntime computes
/// it: one sgemm of the rows against the vectors (scaled by gamma, plus coef0 or a bias), then
/// the element-wise power or tanh; RBF as exp(-gamma·‖x - v‖²).
struct SVMKernelFunction: Sendable {
    enum Kind: Sendable { case linear, poly, rbf, sigmoid }
    let kind: Kind
    let gamma: Float
    let coef0: Float
    let degree: Float

    /// `kernel_type` and `kernel_params` [gamma, coef0, degree]; the linear form (no support
    /// vectors) always uses the plain dot product, whatever the file says.
    init(_ n: NodeInfo, linearForm: Bool) throws(ServingError) {
        let kind: Kind
        switch n.attributes.string("kernel_type") ?? "LINEAR" {
        case "LINEAR": kind = .linear
        case "POLY": kind = .poly
        case "RBF": kind = .rbf
        case "SIGMOID": kind = .sigmoid
        case let other: throw n.fail("kernel_type '\(other)' is not supported (LINEAR, POLY, RBF and SIGMOID are)")
        }
        let params = n.attributes.floats("kernel_params") ?? []
        guard params.isEmpty || params.count == 3 else {
            throw n.fail("kernel_params has \(params.count) values; it takes [gamma, coef0, degree]")
        }
        self.kind = linearForm ? .linear : kind
        gamma = params.first ?? 0
        coef0 = params.count == 3 ? params[1] : 0
        degree = params.count == 3 ? params[2] : 0
    }

    /// out[r, v] = K(x[r], vectors[v]) + bias (the bias only for the linear kernel, where
    /// onnxruntime folds `rho` into the product).
    func apply(
        _ x: UnsafePointer<Float>, rows: Int, features: Int, vectors: [Float], count: Int, bias: Float,
        into out: UnsafeMutablePointer<Float>
    ) {
        vectors.withUnsafeBufferPointer { v in
            guard let vectors = v.baseAddress else { return }
            if kind == .rbf {
                for r in 0..<rows {
                    let row = x + r * features
                    for j in 0..<count {
                        let vector = vectors + j * features
                        var sum: Float = 0
                        for f in 0..<features {
                            let d = row[f] - vector[f]
                            sum += d * d
                        }
                        out[r * count + j] = Foundation.exp(-gamma * sum)
                    }
                }
                return
            }
            let alpha: Float = kind == .linear ? 1 : gamma
            let c: Float = kind == .linear ? bias : coef0
            sgemm(transB: true, m: rows, n: count, k: features, alpha: alpha, x, lda: features, vectors, ldb: features,
                  out, ldc: count)
            let total = rows * count
            if c != 0 { for i in 0..<total { out[i] += c } }
            switch kind {
            case .poly:
                for i in 0..<total {
                    let v = out[i]
                    out[i] = degree == 2 ? v * v : degree == 3 ? v * v * v : Foundation.pow(v, degree)
                }
            case .sigmoid: for i in 0..<total { out[i] = Foundation.tanh(out[i]) }
            case .linear, .rbf: break
            }
        }
    }

    /// Room for the [rows, count] kernel matrix, refused (naming the node) beyond the model's
    /// tensor limit: the count comes from the file, the rows from the request.
    static func matrix(rows: Int, count: Int, _ io: NodeIO, _ ws: Workspace) throws(ServingError) -> [Float] {
        guard let size = Shape.count([rows, count], within: ws.limits.maxTensorElements) else {
            throw io.fail("the kernel matrix \(ws.limits.beyond([rows, count]))")
        }
        return [Float](repeating: 0, count: size)
    }
}

/// SVMRegressor (ai.onnx.ml): with `n_supports` support vectors, Σ coefficient·K(x, vector) +
/// rho; without, the linear form x·coefficients + rho. `one_class=1` (OneClassSVM) answers the
/// sign, +1 or -1. One target: [N, 1].
struct SVMRegressorKernel: Kernel {
    let function: SVMKernelFunction
    let supportVectors: [Float]
    let vectorCount: Int
    let coefficients: [Float]
    let features: Int
    let rho: Float
    let oneClass: Bool

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: MLInput.types)
        let a = n.attributes
        let vectorCount = a.int("n_supports", default: 0)
        guard let coefficients = a.floats("coefficients"), !coefficients.isEmpty else {
            throw n.fail("attribute 'coefficients' is required")
        }
        guard let rho = a.floats("rho"), rho.count == 1 else { throw n.fail("attribute 'rho' must hold one value") }
        // onnxruntime reads post_transform and never applies it; refuse any but NONE rather than ignore it.
        guard (a.string("post_transform") ?? "NONE") == "NONE" else {
            throw n.fail("post_transform '\(a.string("post_transform") ?? "")' is not supported on SVMRegressor (NONE is)")
        }
        let oneClass = a.int("one_class", default: 0) != 0
        let function = try SVMKernelFunction(n, linearForm: vectorCount == 0)
        let vectors = a.floats("support_vectors") ?? []
        let features: Int
        if vectorCount > 0 {
            guard vectorCount <= n.limits.maxTensorElements, coefficients.count == vectorCount else {
                throw n.fail("\(coefficients.count) coefficients for n_supports \(vectorCount)")
            }
            guard !vectors.isEmpty, vectors.count % vectorCount == 0 else {
                throw n.fail("\(vectors.count) support vector values do not divide into \(vectorCount) vectors")
            }
            features = vectors.count / vectorCount
        } else {
            guard vectorCount == 0 else { throw n.fail("n_supports \(vectorCount) is negative") }
            guard vectors.isEmpty else { throw n.fail("support_vectors without n_supports") }
            features = coefficients.count
        }
        let kernel = SVMRegressorKernel(
            function: function, supportVectors: vectors, vectorCount: vectorCount, coefficients: coefficients,
            features: features, rho: rho[0], oneClass: oneClass)
        return Compiled(kernel: kernel, outputTypes: [.float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let (x, rows, columns) = try MLInput.rows(ws.input(io, 0), io, ws)
        guard columns == features else { throw io.fail("input has \(columns) features; the model takes \(features)") }
        let out = try ws.output(io, 0, .float, [rows, 1], as: Float.self)
        if vectorCount > 0 {
            var k = try SVMKernelFunction.matrix(rows: rows, count: vectorCount, io, ws)
            k.withUnsafeMutableBufferPointer { k in
                guard let k = k.baseAddress else { return }
                function.apply(x, rows: rows, features: features, vectors: supportVectors, count: vectorCount, bias: 0, into: k)
                for r in 0..<rows {
                    var sum: Float = 0
                    for j in 0..<vectorCount { sum += k[r * vectorCount + j] * coefficients[j] }
                    out[r] = sum + rho
                }
            }
        } else {
            function.apply(x, rows: rows, features: features, vectors: coefficients, count: 1, bias: rho, into: out)
        }
        if oneClass { for r in 0..<rows { out[r] = out[r] > 0 ? 1 : -1 } }
    }
}
