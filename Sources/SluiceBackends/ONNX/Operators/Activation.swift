/// An element-wise function with an optional added constant, `y = f(x + bias)`: what Relu,
/// LeakyRelu, Sigmoid, Tanh and Clip run alone, and what Gemm, MatMul and Conv apply to their
/// own output when the graph compiler fused the bias and the activation node that followed
/// them. One loop per case over contiguous memory, so each vectorizes; `x` may be `y`.
enum Activation: Sendable, Equatable {
    case identity, relu, leakyRelu(Float), sigmoid, tanh
    /// Bounds of Clip; NaN stays NaN, as onnxruntime and numpy.clip leave it.
    case clip(low: Float, high: Float)

    /// `y[i] = f(x[i] + bias)` for `i < n`. Called inside kernels on the request's thread.
    @inline(__always)
    func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, bias: Float = 0) {
        switch self {
        case .identity:
            if bias != 0 {
                Self.map(x, y, n) { $0 + bias }
            } else if UnsafePointer(y) != x {
                y.update(from: x, count: n)
            }
        case .relu: Self.map(x, y, n) { let v = $0 + bias; return v < 0 ? 0 : v }
        case .leakyRelu(let alpha): Self.map(x, y, n) { let v = $0 + bias; return v < 0 ? v * alpha : v }
        case .sigmoid: Self.map(x, y, n) { FastMath.logistic($0 + bias) }
        case .tanh: Self.map(x, y, n) { FastMath.tanh($0 + bias) }
        case .clip(let low, let high):
            Self.map(x, y, n) { let v = $0 + bias; return v.isNaN ? v : Swift.min(Swift.max(v, low), high) }
        }
    }

    /// One loop for `x != y` and one through a single pointer for `x == y`: the vectorizer's
    /// runtime overlap check sends an in-place loop over two pointers to its scalar version.
    @inline(__always)
    private static func map(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ f: (Float) -> Float
    ) {
        if UnsafePointer(y) == x {
            for i in 0..<n { y[i] = f(y[i]) }
        } else {
            for i in 0..<n { y[i] = f(x[i]) }
        }
    }

    /// The fused spelling of a step's label ("Gemm 'fc' + Relu 'r'").
    static func label(_ producer: String, _ consumer: String) -> String { "\(producer) + \(consumer)" }
}
