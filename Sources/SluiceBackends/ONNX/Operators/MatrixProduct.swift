import SluiceCore

/// `C = alpha·A'·B' + beta·C` (row-major, FP32 or FP64) on the calling thread, through
/// OpenBLAS. The one home of the matrix product with a B in memory: Gemm, MatMul, Conv and the
/// linear ML operators all come here. An FP32 B packed at load goes to Sluice's own kernels
/// instead (`PackedMatrix.multiply`: Sources/CKernels/gemm.c, AVX-512, AVX2 or baseline by
/// `CPULevel`), which stream it in place at any number of rows.
@inline(__always)
func gemm<T: FloatElement>(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: T = 1,
    _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int, beta: T = 0,
    _ c: UnsafeMutablePointer<T>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    guard k > 0 else {
        // BLAS leaves C untouched for k = 0 only when beta is 1; spell out the empty sum.
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
        return
    }
    if m == 1 {
        // One row is a matrix-vector product, bound by reading B once. OpenBLAS's sgemm would
        // first copy B into its packed panels on every call (for a 2048×2048 layer that is a
        // second pass over 16 MB), so a single row goes to sgemv, which streams B in place.
        // The row of A is A[0, ·], or A's first column (stride lda) when A is transposed.
        let incx = transA ? lda : 1
        if transB {
            // C[j] = Σ_p A[p]·B[j, p]: B is n × k, row-major.
            T.gemv(false, n, k, alpha, b, ldb, a, incx, beta, c)
        } else {
            // C[j] = Σ_p A[p]·B[p, j]: B is k × n, row-major, read transposed.
            T.gemv(true, k, n, alpha, b, ldb, a, incx, beta, c)
        }
        return
    }
    T.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

/// The FP32 spelling of `gemm`, which the FP32-only kernels (Conv, the linear ML operators)
/// call.
@inline(__always)
func sgemm(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
    _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
    _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
    gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a, lda: lda, b, ldb: ldb, beta: beta, c, ldc: ldc)
}

/// Fills `rows` rows of `n` elements at `out` with `row` (which may be `out` itself, its first row
/// already written): copies that double the filled part, so a bias of ten values over a
/// thousand rows is eleven memcpy calls, not a thousand.
@inline(__always)
func repeatRow<T>(_ row: UnsafePointer<T>, _ n: Int, into out: UnsafeMutablePointer<T>, rows: Int) {
    guard rows > 0, n > 0 else { return }
    if row != UnsafePointer(out) { out.update(from: row, count: n) }
    var filled = 1
    while filled < rows {
        let more = Swift.min(filled, rows - filled)
        (out + filled * n).update(from: out, count: more * n)
        filled += more
    }
}

/// Gemm: `alpha·A'·B' + beta·C` with optional transposes and a C that broadcasts to [M, N]
/// (copied into the output first, so gemm adds the product to it with beta 1), in FP32 or FP64
/// (all inputs of one type, the output too).
struct GemmKernel: Kernel {
    let transA: Bool
    let transB: Bool
    let alpha: Float
    let beta: Float
    let type: ElementType
    /// Applied to the output in place: the Relu, Tanh, … node that followed, fused at load.
    var activation = Activation.identity
    /// B packed at load when it is an FP32 constant (`GraphCompiler.packWeights`, which then
    /// gives the step no input B): the product streams it, never the workspace's B.
    var packedB: PackedMatrix?

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...3)
        let t = try n.type(0, in: [.float, .double])
        // A and B are read on every run; only C may be absent.
        for i in 1..<n.inputTypes.count where i < 2 || n.has(i) { _ = try n.type(i, in: [t]) }
        let a = n.attributes
        if n.opset < 7 { a.ignore("broadcast") }
        let kernel = GemmKernel(
            transA: a.int("transA", default: 0) != 0, transB: a.int("transB", default: 0) != 0,
            alpha: a.float("alpha", default: 1), beta: a.float("beta", default: 1), type: t)
        return Compiled(kernel: kernel, outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        switch type {
        case .double: try run(io, ws, Double.self)
        default: try run(io, ws, Float.self)
        }
    }

    @inline(__always)
    private func run<T: FloatElement>(_ io: NodeIO, _ ws: Workspace, _: T.Type) throws(ServingError) {
        let a = ws.input(io, 0), bShape = packedB?.shape ?? ws.input(io, 1).shape
        guard a.rank == 2, bShape.count == 2 else { throw io.fail("A \(a.shape) and B \(bShape) must be matrices") }
        let m = transA ? a.shape[1] : a.shape[0], k = transA ? a.shape[0] : a.shape[1]
        let kb = transB ? bShape[1] : bShape[0], n = transB ? bShape[0] : bShape[1]
        guard k == kb else { throw io.fail("A \(a.shape) and B \(bShape) do not multiply") }
        let out = try ws.output(io, 0, type, [m, n], as: T.self)
        var addC: T = 0
        if ws.has(io, 2), beta != 0 {
            let c = ws.input(io, 2)
            guard let s = Broadcast.shape(c.shape, [m, n]), s == [m, n] else {
                throw io.fail("C \(c.shape) does not broadcast to [\(m), \(n)]")
            }
            let pc = c.pointer(T.self)
            let beta = T(self.beta)
            if c.count == m * n {
                for i in 0..<m * n { out[i] = beta * pc[i] }
            } else if Broadcast.isTrailing(c.shape, of: [m, n]), c.count == n {
                // A bias row, the usual C: copied to every row.
                if m > 0 {
                    for j in 0..<n { out[j] = beta * pc[j] }
                    repeatRow(out, n, into: out, rows: m)
                }
            } else {
                var o = 0
                Broadcast.rows([c.shape], out: [m, n]) { off, inner, length in
                    var ic = off[0]
                    for j in 0..<length {
                        out[o + j] = beta * pc[ic]
                        ic += inner[0]
                    }
                    o += length
                }
            }
            addC = 1
        }
        if let packedB {
            // FP32: only an FP32 B is packed.
            packedB.multiply(
                transA: transA, m: m, alpha: alpha, a.pointer(Float.self), lda: a.shape[1], beta: addC == 0 ? 0 : 1,
                UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self), ldc: n)
        } else {
            let b = ws.input(io, 1)
            gemm(
                transA: transA, transB: transB, m: m, n: n, k: k, alpha: T(alpha), a.pointer(T.self), lda: a.shape[1],
                b.pointer(T.self), ldb: b.shape[1], beta: addC, out, ldc: n)
        }
        if activation != .identity { activation.apply(out, out, m * n) }
    }
}

/// MatMul with NumPy semantics: 1-D operands promoted, batch dimensions broadcast, in FP32 or
/// FP64. A stack of rows times one matrix (a Linear layer) is one gemm call.
///
/// Fused at load (`GraphCompiler.fuse`): the Add of a constant bias row that followed it (the
/// bias is copied into every output row and gemm adds the product with beta 1, as Gemm does
/// with C) and the activation after that, applied in place.
struct MatMulKernel: Kernel {
    let type: ElementType
    /// A constant of shape [1, …, 1, N] (of `type`) added to every output row, or nil.
    var bias: Constant?
    var activation = Activation.identity
    /// B packed at load when it is an FP32 constant matrix (`GraphCompiler.packWeights`, which
    /// then gives the step no input B): the product streams it, never the workspace's B.
    var packedB: PackedMatrix?

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(2...2)
        let t = try n.type(0, in: [.float, .double])
        _ = try n.type(1, in: [t])
        return Compiled(kernel: MatMulKernel(type: t, bias: nil), outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        switch type {
        case .double: try run(io, ws, Double.self)
        default: try run(io, ws, Float.self)
        }
    }

    @inline(__always)
    private func run<T: FloatElement>(_ io: NodeIO, _ ws: Workspace, _: T.Type) throws(ServingError) {
        let a = ws.input(io, 0), bShape = packedB?.shape ?? ws.input(io, 1).shape
        guard a.rank >= 1, !bShape.isEmpty else { throw io.fail("MatMul needs at least 1-D operands") }
        let sa = a.rank == 1 ? [1, a.shape[0]] : a.shape
        let sb = bShape.count == 1 ? [bShape[0], 1] : bShape
        let m = sa[sa.count - 2], k = sa[sa.count - 1], kb = sb[sb.count - 2], n = sb[sb.count - 1]
        guard k == kb else { throw io.fail("shapes \(a.shape) and \(bShape) do not multiply") }
        guard let batch = Broadcast.shape(Array(sa.dropLast(2)), Array(sb.dropLast(2))) else {
            throw io.fail("batch dimensions of \(a.shape) and \(bShape) do not broadcast")
        }
        var shape = batch
        if a.rank > 1 { shape.append(m) }
        if bShape.count > 1 { shape.append(n) }
        var beta: T = 0
        if let bias, bias.shape.count > shape.count {
            // Add's broadcast of a [1, N] bias over a 1-D product: the bias's leading 1s.
            shape = Array(repeating: 1, count: bias.shape.count - shape.count) + shape
        }
        let out = try ws.output(io, 0, type, shape, as: T.self)
        let pa = a.pointer(T.self)
        let batches = batch.reduce(1, *)
        if let bias {
            let row = UnsafePointer(bias.buffer.pointer.assumingMemoryBound(to: T.self))
            repeatRow(row, n, into: out, rows: batches * m)
            beta = 1
        }
        defer { if activation != .identity { activation.apply(out, out, batches * m * n) } }
        if let packedB {
            // One FP32 matrix (only such a B is packed) against every batch of A: one product.
            packedB.multiply(
                m: batches * m, a.pointer(Float.self), lda: k, beta: bias == nil ? 0 : 1,
                UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self), ldc: n)
            return
        }
        let pb = ws.input(io, 1).pointer(T.self)
        if sb.count == 2 {
            // Every batch of A against the same B: one product of all rows.
            gemm(m: batches * m, n: n, k: k, pa, lda: k, pb, ldb: n, beta: beta, out, ldc: n)
            return
        }
        let batchA = Array(sa.dropLast(2)), batchB = Array(sb.dropLast(2))
        var index = 0
        Broadcast.rows([batchA, batchB], out: batch) { off, inner, length in
            var ia = off[0], ib = off[1]
            for _ in 0..<length {
                gemm(
                    m: m, n: n, k: k, pa + ia * m * k, lda: k, pb + ib * k * n, ldb: n, beta: beta, out + index * m * n,
                    ldc: n)
                ia += inner[0]
                ib += inner[1]
                index += 1
            }
        }
    }
}
