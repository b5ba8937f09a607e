/// An element-wise function with an optional added constant, `y = f(x + bias)`: what Relu,
/// LeakyRelu, Sigmoid, Tanh and Clip run alone, and what Gemm, MatMul and Conv apply to their
/// own output when the graph compiler fused the bias and the activation node that followed
/// them. One loop per case over contiguous memory, so each vectorizes; `x` may be `y`. FP32 and
/// FP64 alike (`FloatElement`).
enum Activation: Sendable, Equatable {
    case identity, relu, leakyRelu(Float), sigmoid, tanh
    /// Bounds of Clip; NaN stays NaN, as onnxruntime and numpy.clip leave it. Double, so an
    /// FP64 Clip keeps its bounds exactly (an FP32 one's are FP32 values, converted back exactly).
    case clip(low: Double, high: Double)

    /// `y[i] = f(x[i] + bias)` for `i < n`. Called inside kernels on the request's thread.
    @inline(__always)
    func apply<T: FloatElement>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, bias: T = 0) {
        switch self {
        case .identity:
            if bias != 0 {
                Self.map(x, y, n) { $0 + bias }
            } else if UnsafePointer(y) != x {
                y.update(from: x, count: n)
            }
        case .relu: Self.map(x, y, n) { let v = $0 + bias; return v < 0 ? 0 : v }
        case .leakyRelu(let a):
            let alpha = T(a)
            Self.map(x, y, n) { let v = $0 + bias; return v < 0 ? v * alpha : v }
        case .sigmoid: Self.map(x, y, n) { T.logistic($0 + bias) }
        case .tanh: Self.map(x, y, n) { T.tanh($0 + bias) }
        case .clip(let l, let h):
            let low = T(l), high = T(h)
            Self.map(x, y, n) { let v = $0 + bias; return v.isNaN ? v : Swift.min(Swift.max(v, low), high) }
        }
    }

    /// One loop for `x != y` and one through a single pointer for `x == y`: the vectorizer's
    /// runtime overlap check sends an in-place loop over two pointers to its scalar version.
    @inline(__always)
    private static func map<T>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, _ f: (T) -> T) {
        if UnsafePointer(y) == x {
            for i in 0..<n { y[i] = f(y[i]) }
        } else {
            for i in 0..<n { y[i] = f(x[i]) }
        }
    }

    /// The fused spelling of a step's label ("Gemm 'fc' + Relu 'r'").
    static func label(_ producer: String, _ consumer: String) -> String { "\(producer) + \(consumer)" }
}
