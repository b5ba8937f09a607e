import COpenBLAS
import Foundation

/// The two element types the floating-point kernels are written once for: FP32, the usual
/// compute type, and FP64, for models exported with `DoubleTensorType`. A kernel picks one at
/// load (its input type) and its `run` switches once per call into a loop specialised for it,
/// so the FP32 loops are the same machine code as before FP64 existed.
///
/// FP32 keeps its vectorizable approximations (`FastMath`, as onnxruntime's MLAS has them);
/// FP64 computes with libm, as onnxruntime does for double (Eigen and the C library), so an
/// FP64 model answers within a few ulp of it.
protocol FloatElement: BinaryFloatingPoint, SIMDScalar, Codable, Sendable {
    static var elementType: ElementType { get }
    /// e^x where a loop wants it fast (Softmax): `FastMath.exp` for FP32.
    static func fastExp(_ x: Self) -> Self
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func erf(_ x: Self) -> Self
    /// GELU, exact and with the tanh approximation: `FastMath`'s vectorizable forms for FP32.
    static func gelu(_ x: Self) -> Self
    static func geluTanh(_ x: Self) -> Self
    /// `activation` on `n` values with `bias` added (`Activation.apply`), by the type's own loops.
    static func activate(
        _ activation: Activation, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int, bias: Self)

    /// `C = alpha·A'·B' + beta·C` (row-major) through OpenBLAS's sgemm or dgemm.
    static func gemm(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int,
        _ b: UnsafePointer<Self>, _ ldb: Int, _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
    /// `y = alpha·op(A)·x + beta·y` (row-major A, `rows × columns`) through sgemv or dgemv.
    static func gemv(
        _ trans: Bool, _ rows: Int, _ columns: Int, _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int,
        _ x: UnsafePointer<Self>, _ incx: Int, _ beta: Self, _ y: UnsafeMutablePointer<Self>)
}

extension Float: FloatElement {
    static var elementType: ElementType { .float }
    @inline(__always) static func fastExp(_ x: Float) -> Float { FastMath.exp(x) }
    @inline(__always) static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    @inline(__always) static func log(_ x: Float) -> Float { Foundation.log(x) }
    @inline(__always) static func log1p(_ x: Float) -> Float { Foundation.log1p(x) }
    @inline(__always) static func erf(_ x: Float) -> Float { Foundation.erf(x) }
    @inline(__always) static func gelu(_ x: Float) -> Float { FastMath.gelu(x) }
    @inline(__always) static func geluTanh(_ x: Float) -> Float { FastMath.geluTanh(x) }
    @inline(__always)
    static func activate(
        _ activation: Activation, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, bias: Float
    ) {
        activation.applyFP32(x, y, n, bias: bias)
    }

    @inline(__always)
    static func gemm(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
        _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    @inline(__always)
    static func gemv(
        _ trans: Bool, _ rows: Int, _ columns: Int, _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
        _ x: UnsafePointer<Float>, _ incx: Int, _ beta: Float, _ y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(
            CblasRowMajor, trans ? CblasTrans : CblasNoTrans, blasint(rows), blasint(columns), alpha, a, blasint(lda), x,
            blasint(incx), beta, y, 1)
    }
}

extension Double: FloatElement {
    static var elementType: ElementType { .double }
    @inline(__always) static func fastExp(_ x: Double) -> Double { Foundation.exp(x) }
    /// onnxruntime's double Sigmoid: 1 / (1 + e^-|x|), mirrored for negative x (never overflows).
    @inline(__always)
    static func logistic(_ x: Double) -> Double {
        let v = 1 / (1 + Foundation.exp(-Swift.abs(x)))
        return x >= 0 ? v : 1 - v
    }
    @inline(__always) static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
    @inline(__always) static func erf(_ x: Double) -> Double { Foundation.erf(x) }
    @inline(__always) static func gelu(_ x: Double) -> Double { 0.5 * x * (1 + Foundation.erf(x * 0.5.squareRoot())) }
    @inline(__always)
    static func geluTanh(_ x: Double) -> Double {
        0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }
    static func activate(
        _ activation: Activation, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int, bias: Double
    ) {
        activation.applyFP64(x, y, n, bias: bias)
    }

    @inline(__always)
    static func gemm(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double, _ a: UnsafePointer<Double>,
        _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int, _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    @inline(__always)
    static func gemv(
        _ trans: Bool, _ rows: Int, _ columns: Int, _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int,
        _ x: UnsafePointer<Double>, _ incx: Int, _ beta: Double, _ y: UnsafeMutablePointer<Double>
    ) {
        cblas_dgemv(
            CblasRowMajor, trans ? CblasTrans : CblasNoTrans, blasint(rows), blasint(columns), alpha, a, blasint(lda), x,
            blasint(incx), beta, y, 1)
    }
}
