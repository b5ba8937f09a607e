import SluiceCore

/// Scaled dot-product attention on heads that are still in the projections' layout: Q [B, S, H,
/// D], K [B, T, H, D] and V [B, T, H, E] (what Reshape makes of a [B, S, H·D] projection) give
/// [B, S, H, E] = Transpose(Softmax(alpha · Qₕ·Kₕᵀ) · Vₕ), the graph
/// `Transpose → MatMul → Mul(scale) → Softmax(-1) → MatMul → Transpose` that
/// GraphCompiler+PatternFusion.swift (`PatternGraph.attention`) replaces. No transposed copy of
/// Q, K, V or the context is made: each head's gemm reads its columns in place (leading dimension
/// H·D), the scale is gemm's alpha, and one head's S×T scores live in a scratch block that
/// stays in cache for the softmax. B and H broadcast as MatMul's batch dimensions do (1 against
/// n). FP32.
struct AttentionKernel: Kernel {
    /// The constant the scores were multiplied by (1 / the divisor of a Div).
    let alpha: Float

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let q = ws.input(io, 0), k = ws.input(io, 1), v = ws.input(io, 2)
        guard q.rank == 4, k.rank == 4, v.rank == 4 else {
            throw io.fail("Q \(q.shape), K \(k.shape) and V \(v.shape) must have 4 dimensions")
        }
        let (s, d, t, e) = (q.shape[1], q.shape[3], k.shape[1], v.shape[3])
        guard k.shape[3] == d, v.shape[1] == t else {
            throw io.fail("Q \(q.shape), K \(k.shape) and V \(v.shape) do not multiply")
        }
        guard let batch = Broadcast.shape([q.shape[0], q.shape[2]], [k.shape[0], k.shape[2]]),
            let batches = Broadcast.shape(batch, [v.shape[0], v.shape[2]])
        else { throw io.fail("batch dimensions of Q \(q.shape), K \(k.shape) and V \(v.shape) do not broadcast") }
        let (b, heads) = (batches[0], batches[1])
        // The scores of one head, as the unfused graph's [B, H, S, T] would hold them all.
        guard Shape.count([b, heads, s, t], within: ws.limits.maxTensorElements) != nil else {
            throw io.fail("scores \(ws.limits.beyond([b, heads, s, t]))")
        }
        let out = try ws.output(io, 0, .float, [b, s, heads, e], as: Float.self)
        guard b > 0, heads > 0, s > 0, e > 0 else { return }
        let (pq, pk, pv) = (q.pointer(Float.self), k.pointer(Float.self), v.pointer(Float.self))
        // Where head h of batch i starts in a [B', L, H', W] operand that broadcasts B' and H'.
        func start(_ o: Operand, _ i: Int, _ h: Int) -> Int {
            let (ob, oh) = (o.shape[0] == 1 ? 0 : i, o.shape[2] == 1 ? 0 : h)
            return (ob * o.shape[1] * o.shape[2] + oh) * o.shape[3]
        }
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(s * t, 1))
        defer { scores.deallocate() }
        for i in 0..<b {
            for h in 0..<heads {
                sgemm(
                    transB: true, m: s, n: t, k: d, alpha: alpha, pq + start(q, i, h), lda: q.shape[2] * d,
                    pk + start(k, i, h), ldb: k.shape[2] * d, scores, ldc: t)
                for r in 0..<s { Self.softmax(scores + r * t, t) }
                sgemm(
                    m: s, n: e, k: t, scores, lda: t, pv + start(v, i, h), ldb: v.shape[2] * e,
                    out + (i * s * heads + h) * e, ldc: heads * e)
            }
        }
    }

    /// Softmax of one row in place, as SoftmaxKernel computes it (the row's maximum subtracted,
    /// `FastMath.exp`, divided by the sum).
    @inline(__always)
    static func softmax(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
        guard n > 0 else { return }
        // Eight lanes for the maximum and the sum, which a scalar loop would keep in order.
        let raw = UnsafeMutableRawPointer(row)
        var lanes = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j + 8 <= n {
            lanes = pointwiseMax(lanes, raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self))
            j += 8
        }
        var largest = lanes.max()
        for r in j..<n { largest = Swift.max(largest, row[r]) }
        for r in 0..<n { row[r] = FastMath.exp(row[r] - largest) }
        var sums = SIMD8<Float>()
        j = 0
        while j + 8 <= n {
            sums += raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            j += 8
        }
        var sum = sums.sum()
        for r in j..<n { sum += row[r] }
        let scale = 1 / sum
        for r in 0..<n { row[r] *= scale }
    }
}
