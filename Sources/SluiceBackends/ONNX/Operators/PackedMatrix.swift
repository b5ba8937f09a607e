import CKernels
import SluiceCore

/// A constant FP32 matrix B (k × n) laid out once, at load, in the order the C kernels
/// (Sources/CKernels/gemm.c) read it: panels of 16 columns in blocks of rows. Gemm and MatMul
/// build one when their B is an initializer, and `gemm(packedB:)` then streams it in place on
/// every request, at one row (a matrix-vector product bound by memory) as at many.
///
/// Built on the loading thread, read by any request thread afterwards (immutable). It is a
/// second copy of the weights (rounded up to 16 columns) beside the constant, which other
/// nodes may still read.
struct PackedMatrix: Sendable {
    let k: Int
    let n: Int
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
        buffer = Buffer(bytes: count * MemoryLayout<Float>.size)
        let packed = buffer.pointer.assumingMemoryBound(to: Float.self)
        sluice_sgemm_pack_b(transposed ? 1 : 0, k, n, b.elements(as: Float.self).baseAddress, b.shape[1], packed)
    }

    /// The packed floats, for `gemm`.
    var pointer: UnsafePointer<Float> { UnsafePointer(buffer.pointer.assumingMemoryBound(to: Float.self)) }
}
