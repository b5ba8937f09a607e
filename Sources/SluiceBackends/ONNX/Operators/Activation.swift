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
                for i in 0..<n { y[i] = x[i] + bias }
            } else if UnsafePointer(y) != x {
                y.update(from: x, count: n)
            }
        case .relu: for i in 0..<n { let v = x[i] + bias; y[i] = v < 0 ? 0 : v }
        case .leakyRelu(let alpha): for i in 0..<n { let v = x[i] + bias; y[i] = v < 0 ? v * alpha : v }
        case .sigmoid: for i in 0..<n { y[i] = FastMath.logistic(x[i] + bias) }
        case .tanh: for i in 0..<n { y[i] = FastMath.tanh(x[i] + bias) }
        case .clip(let low, let high):
            for i in 0..<n {
                let v = x[i] + bias
                y[i] = v.isNaN ? v : Swift.min(Swift.max(v, low), high)
            }
        }
    }

    /// The fused spelling of a step's label ("Gemm 'fc' + Relu 'r'").
    static func label(_ producer: String, _ consumer: String) -> String { "\(producer) + \(consumer)" }
}
