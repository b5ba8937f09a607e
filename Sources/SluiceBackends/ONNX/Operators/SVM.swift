import COpenBLAS
import Foundation
import SluiceCore

/// The kernel function of SVMClassifier and SVMRegressor (ai.onnx.ml), as onnxruntime defines
/// it: gamma·x·v + coef0 raised to `degree` (POLY) or through tanh (SIGMOID), exp(-gamma·‖x - v‖²)
/// (RBF), or the plain dot product plus a bias (LINEAR, where onnxruntime folds `rho` in).
///
/// Computed in FP64 (one dgemm of the rows against the vectors): a decision value is a sum of
/// coefficient·kernel terms that mostly cancel (a cubic kernel's terms reach hundreds for a
/// value near 1), so FP32 kernels of two BLAS libraries, summing in different orders, differ
/// by more than 1e-5 of the value; in FP64 the answer is the exact one, to which onnxruntime's
/// own FP32 answer is closer than the tolerance.
struct SVMKernelFunction: Sendable {
    enum Kind: Sendable { case linear, poly, rbf, sigmoid }
    let kind: Kind
    let gamma: Double
    let coef0: Double
    let degree: Double

    /// `kernel_type` and `kernel_params` [gamma, coef0, degree]; the linear form (no support
    /// vectors) always uses the plain dot product, whatever the file says, as onnxruntime does.
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
        gamma = Double(params.first ?? 0)
        coef0 = params.count == 3 ? Double(params[1]) : 0
        degree = params.count == 3 ? Double(params[2]) : 0
    }

    /// The [rows, count] matrix K(x[r], vectors[v]) + bias (the bias only for the linear
    /// kernel), refused (naming the node) beyond the model's tensor limit: the count comes from
    /// the file, the rows from the request.
    func matrix(
        _ x: UnsafePointer<Float>, rows: Int, features: Int, vectors: [Double], count: Int, bias: Double,
        _ io: NodeIO, _ ws: Workspace
    ) throws(ServingError) -> [Double] {
        guard let size = Shape.count([rows, count], within: ws.limits.maxTensorElements) else {
            throw io.fail("the kernel matrix \(ws.limits.beyond([rows, count]))")
        }
        var out = [Double](repeating: 0, count: size)
        let input = (0..<rows * features).map { Double(x[$0]) }
        guard size > 0, features > 0 else {
            if kind == .linear { for i in 0..<size { out[i] = bias } }
            return out
        }
        if kind == .rbf {
            for r in 0..<rows {
                for j in 0..<count {
                    var sum = 0.0
                    for f in 0..<features {
                        let d = input[r * features + f] - vectors[j * features + f]
                        sum += d * d
                    }
                    out[r * count + j] = Foundation.exp(-gamma * sum)
                }
            }
            return out
        }
        let alpha = kind == .linear ? 1 : gamma
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, blasint(rows), blasint(count), blasint(features), alpha, input,
            blasint(features), vectors, blasint(features), 0, &out, blasint(count))
        let c = kind == .linear ? bias : coef0
        for i in 0..<size {
            let v = out[i] + c
            switch kind {
            case .poly: out[i] = Foundation.pow(v, degree)
            case .sigmoid: out[i] = Foundation.tanh(v)
            case .linear, .rbf: out[i] = v
            }
        }
        return out
    }
}

/// SVMRegressor (ai.onnx.ml): with `n_supports` support vectors, Σ coefficient·K(x, vector) +
/// rho; without, the linear form x·coefficients + rho. `one_class=1` (OneClassSVM) answers the
/// sign, +1 or -1. One target: [N, 1].
struct SVMRegressorKernel: Kernel {
    let function: SVMKernelFunction
    /// The support vectors in FP64, or in the linear form the coefficients as one vector.
    let vectors: [Double]
    let vectorCount: Int
    let coefficients: [Double]
    let features: Int
    let rho: Double
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
            function: function, vectors: (vectorCount > 0 ? vectors : coefficients).map { Double($0) },
            vectorCount: vectorCount, coefficients: coefficients.map { Double($0) }, features: features,
            rho: Double(rho[0]), oneClass: oneClass)
        return Compiled(kernel: kernel, outputTypes: [.float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let (x, rows, columns) = try MLInput.rows(ws.input(io, 0), io, ws)
        guard columns == features else { throw io.fail("input has \(columns) features; the model takes \(features)") }
        let out = try ws.output(io, 0, .float, [rows, 1], as: Float.self)
        if vectorCount > 0 {
            let k = try function.matrix(x, rows: rows, features: features, vectors: vectors, count: vectorCount, bias: 0, io, ws)
            for r in 0..<rows {
                var sum = rho
                for j in 0..<vectorCount { sum += k[r * vectorCount + j] * coefficients[j] }
                out[r] = Float(sum)
            }
        } else {
            let k = try function.matrix(x, rows: rows, features: features, vectors: vectors, count: 1, bias: rho, io, ws)
            for r in 0..<rows { out[r] = Float(k[r]) }
        }
        if oneClass { for r in 0..<rows { out[r] = out[r] > 0 ? 1 : -1 } }
    }
}
