import CKernels
import SluiceCore

/// A constant FP32 matrix B (k × n) laid out once, at load, in the order the C kernels
/// (Sources/CKernels/gemm.c) read it: panels of 16 columns in blocks of rows. Gemm and MatMul
/// get one when their B is an FP32 constant (`GraphCompiler.packWeights`), and `multiply` then
/// streams it in place on every request, at one row (a matrix-vector product bound by memory)
/// as at many.
///
/// Built on the loading thread, read by any request thread afterwards (immutable). It replaces
/// the constant for its product, which no longer reads B (the step's input is -1), so unless
/// another step or a graph output reads it too, the plan drops the constant and the weights live
/// once (rounded up to 16 columns).
struct PackedMatrix: Sendable {
    let k: Int
    let n: Int
    /// B's shape as the model gives it: [k, n], or [n, k] when it was packed transposed (for
    /// the kernels' shape checks and messages).
    let shape: [Int]
    private let buffer: Buffer

    /// The fewest weights worth packing: 64 Ki floats (256 KiB, a 256 × 256 layer). Below that,
    /// B stays in cache between calls and OpenBLAS's small-matrix kernels, which skip its
    /// packing, are faster than ours (the 16-32-32-10 MLP at 64 rows: 9 against 11 µs).
    static let worthPacking = 1 << 16

    /// B packed from the FP32 constant `b` (k × n, or n × k when `transposed`), or nil when `b`
    /// is not an FP32 matrix of at least `fewest` elements or the packed form would exceed the
    /// model's tensor limit (the product then runs through OpenBLAS unpacked, as it would
    /// without packing).
    init?(_ b: Constant, transposed: Bool, limits: ModelLimits, fewest: Int = worthPacking) {
        guard b.type == .float, b.shape.count == 2, b.count > 0, b.count >= fewest else { return nil }
        let k = transposed ? b.shape[1] : b.shape[0], n = transposed ? b.shape[0] : b.shape[1]
        // n (at most b.count) rounded up to whole panels of 16, times k, within the limit.
        guard let count = Shape.count([(n + 15) / 16 * 16, k], within: limits.maxTensorElements),
            count == sluice_sgemm_packed_count(k, n)
        else { return nil }
        self.k = k
        self.n = n
        shape = b.shape
        buffer = Buffer(bytes: count * MemoryLayout<Float>.size)
        let packed = buffer.pointer.assumingMemoryBound(to: Float.self)
        sluice_sgemm_pack_b(transposed ? 1 : 0, k, n, b.elements(as: Float.self).baseAddress, b.shape[1], packed)
    }

    /// `C = alpha·A'·B + beta·C` for A of m rows (k × m when `transA`), row-major with leading
    /// dimensions lda and ldc, on the calling thread. Nothing to do for m = 0 (k and n are
    /// not 0: an empty B is never packed). Never fails: should the thread's block for A not be
    /// allocated, the C kernel copies A through a smaller one on the stack.
    func multiply(
        transA: Bool = false, m: Int, alpha: Float = 1, _ a: UnsafePointer<Float>, lda: Int, beta: Float = 0,
        _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0 else { return }
        sluice_sgemm_packed(
            m, n, k, alpha, a, transA ? 1 : lda, transA ? lda : 1, buffer.pointer.assumingMemoryBound(to: Float.self),
            beta, c, ldc, CPULevel.current)
    }
}
