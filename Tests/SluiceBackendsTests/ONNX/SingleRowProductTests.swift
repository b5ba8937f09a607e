import Testing
@testable import SluiceBackends

/// `sgemm` with one row of A goes to OpenBLAS's sgemv (no packing of B): every transpose, alpha,
/// accumulation into C and leading dimension wider than the matrix must give the product a plain
/// triple loop gives, and the same as the sgemm path gives for the same row among others.
@Suite struct SingleRowProductTests {
    /// Deterministic values in [-1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int(state >> 40) % 2000 - 1000) / 1000
        }
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func oneRowMatchesTheTripleLoop(_ transA: Bool, _ transB: Bool) {
        let k = 37, n = 23, pad = 3
        let lda = transA ? 1 + pad : k + pad       // A is 1 × k (or k × 1 transposed)
        let ldb = transB ? k + pad : n + pad       // B is k × n (or n × k transposed)
        let a = Self.values(transA ? k * lda : lda, seed: 1)
        let b = Self.values((transB ? n : k) * ldb, seed: 2)
        for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1)] {
            let start = Self.values(n, seed: 3)
            var c = start
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        sgemm(transA: transA, transB: transB, m: 1, n: n, k: k, alpha: alpha, pa.baseAddress!, lda: lda,
                              pb.baseAddress!, ldb: ldb, beta: beta, pc.baseAddress!, ldc: n)
                    }
                }
            }
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k {
                    let x = transA ? a[p * lda] : a[p]
                    let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += x * y
                }
                let expected = alpha * sum + beta * start[j]
                #expect(abs(c[j] - expected) <= 1e-5 * max(1, abs(expected)), "C[\(j)] \(c[j]) vs \(expected)")
            }
        }
    }
}
