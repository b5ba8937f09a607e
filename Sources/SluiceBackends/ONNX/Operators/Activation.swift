import Foundation

/// An element-wise function with an optional added constant, `y = f(x + bias)`: what Relu,
/// LeakyRelu, Sigmoid, Tanh, Gelu and Clip run alone, and what Gemm, MatMul and Conv apply to their
/// own output when the graph compiler fused the bias and the activation node that followed
/// them. One loop per case over contiguous memory, so each vectorizes; `x` may be `y`.
enum Activation: Sendable, Equatable {
    case identity, relu, leakyRelu(Float), sigmoid, tanh
    /// GELU, exact (erf) and with the tanh approximation: the FFN's activation, so the
    /// intermediate of a transformer's feed-forward layer is written once.
    case gelu, geluTanh
    /// Bounds of Clip; NaN stays NaN, as onnxruntime and numpy.clip leave it. Double, so an
    /// FP64 Clip keeps its bounds exactly (an FP32 one's are FP32 values, converted back exactly).
    case clip(low: Double, high: Double)

    /// `y[i] = f(x[i] + bias)` for `i < n`, in FP32 or FP64 (`FloatElement.activate` picks the
    /// type's own loops). Called inside kernels on the request's thread.
    @inline(__always)
    func apply<T: FloatElement>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, bias: T = 0) {
        T.activate(self, x, y, n, bias: bias)
    }

    /// FP32, written for Float rather than generic: LLVM vectorizes these loops (Relu is a
    /// `maxps`), where the generic loops specialised for Float kept a branch per element (a
    /// 1,024-row MLP ran 1.5x slower).
    @inline(__always)
    func applyFP32(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, bias: Float) {
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
        case .gelu: Self.map(x, y, n) { FastMath.gelu($0 + bias) }
        case .geluTanh: Self.map(x, y, n) { FastMath.geluTanh($0 + bias) }
        case .clip(let l, let h):
            let low = Float(l), high = Float(h)
            Self.map(x, y, n) { let v = $0 + bias; return v.isNaN ? v : Swift.min(Swift.max(v, low), high) }
        }
    }

    /// FP64: the same functions, Sigmoid and Tanh through libm (`Double.logistic`, `tanh`).
    func applyFP64(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int, bias: Double) {
        switch self {
        case .identity:
            if bias != 0 || UnsafePointer(y) != x { Self.map(x, y, n) { $0 + bias } }
        case .relu: Self.map(x, y, n) { Swift.max($0 + bias, 0) }
        case .leakyRelu(let alpha): Self.map(x, y, n) { v in v + bias < 0 ? (v + bias) * Double(alpha) : v + bias }
        case .sigmoid: Self.map(x, y, n) { Double.logistic($0 + bias) }
        case .tanh: Self.map(x, y, n) { Foundation.tanh($0 + bias) }
        case .gelu: Self.map(x, y, n) { Double.gelu($0 + bias) }
        case .geluTanh: Self.map(x, y, n) { Double.geluTanh($0 + bias) }
        case .clip(let low, let high): Self.map(x, y, n) { v in (v + bias).isNaN ? v + bias : Swift.min(Swift.max(v + bias, low), high) }
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
