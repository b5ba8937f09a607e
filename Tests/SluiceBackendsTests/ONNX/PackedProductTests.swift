import CKernels
import SluiceCore
import Testing

@testable import SluiceBackends

/// The product against a B packed at load (`PackedMatrix`, Sources/CKernels/gemm.c) at every
/// instruction-set level this machine runs: every transpose, alpha and beta, leading dimensions
/// wider than the matrices, sizes that are not multiples of the tiles (16 columns, 12 or 6 rows)
/// nor of the blocks (512 rows of B, 96 rows of A), against a plain triple loop in Double: each
/// element within 1e-5 of the sum of its terms' magnitudes (FP32 sums of a thousand terms are no
/// closer to the exact sum than that; one term missing or doubled is thousands of times more),
/// through the thread's block for A and through the stack block it falls back to. And the plan
/// keeps a packed B once: the constant goes unless another step or a graph output reads it.
@Suite struct PackedProductTests {
    struct Case: CustomStringConvertible, Sendable {
        let m: Int, n: Int, k: Int
        var description: String { "\(m)×\(n)×\(k)" }
    }

    static let sizes = [
        Case(m: 1, n: 1, k: 1), Case(m: 1, n: 37, k: 23), Case(m: 1, n: 70, k: 600), Case(m: 2, n: 33, k: 17),
        Case(m: 3, n: 16, k: 9), Case(m: 7, n: 65, k: 31), Case(m: 13, n: 10, k: 40), Case(m: 25, n: 47, k: 515),
        Case(m: 97, n: 18, k: 12), Case(m: 8, n: 64, k: 1024),
    ]

    /// C after `alpha·A'·B' + beta·C` by our kernels at `level`, with B packed from `b`, A
    /// copied through the thread's block or (`onStack`) the fallback's.
    static func packedProduct(
        _ s: Case, transA: Bool, transB: Bool, alpha: Float, beta: Float, a: [Float], lda: Int, b: [Float], ldb: Int,
        c: [Float], ldc: Int, level: Int32, onStack: Bool
    ) -> [Float] {
        var packed = [Float](repeating: .nan, count: sluice_sgemm_packed_count(s.k, s.n))
        var c = c
        b.withUnsafeBufferPointer { pb in
            packed.withUnsafeMutableBufferPointer { pp in
                sluice_sgemm_pack_b(transB ? 1 : 0, s.k, s.n, pb.baseAddress, ldb, pp.baseAddress)
            }
        }
        a.withUnsafeBufferPointer { pa in
            packed.withUnsafeBufferPointer { pp in
                c.withUnsafeMutableBufferPointer { pc in
                    let product = onStack ? sluice_sgemm_packed_on_stack : sluice_sgemm_packed
                    product(
                        s.m, s.n, s.k, alpha, pa.baseAddress, transA ? 1 : lda, transA ? lda : 1, pp.baseAddress, beta,
                        pc.baseAddress, ldc, level)
                }
            }
        }
        return c
    }

    @Test(arguments: sizes)
    func everyLevelMatchesTheTripleLoop(_ s: Case) {
        let pad = 3
        for (transA, transB) in [(false, false), (false, true), (true, false), (true, true)] {
            let lda = (transA ? s.m : s.k) + pad, ldb = (transB ? s.k : s.n) + pad, ldc = s.n + pad
            let a = SingleRowProductTests.values((transA ? s.k : s.m) * lda, seed: 11)
            let b = SingleRowProductTests.values((transB ? s.n : s.k) * ldb, seed: 12)
            // C holds NaN where beta is 0: such a C is written, never read.
            for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (2, -0.25)] {
                let start = beta == 0 ? [Float](repeating: .nan, count: s.m * ldc) : SingleRowProductTests.values(s.m * ldc, seed: 13)
                for level in CPULevel.runnable {
                    for onStack in [false, true] {
                        let c = Self.packedProduct(
                            s, transA: transA, transB: transB, alpha: alpha, beta: beta, a: a, lda: lda, b: b, ldb: ldb,
                            c: start, ldc: ldc, level: level, onStack: onStack)
                        var worst = 0.0
                        for i in 0..<s.m {
                            for j in 0..<s.n {
                                var sum = 0.0, magnitude = 0.0
                                for p in 0..<s.k {
                                    let x = transA ? a[p * lda + i] : a[i * lda + p]
                                    let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                                    sum += Double(x) * Double(y)
                                    magnitude += abs(Double(x) * Double(y))
                                }
                                let old = beta == 0 ? 0 : Double(beta) * Double(start[i * ldc + j])
                                let expected = Double(alpha) * sum + old
                                magnitude = abs(Double(alpha)) * magnitude + abs(old)
                                worst = max(worst, abs(Double(c[i * ldc + j]) - expected) / max(1, magnitude))
                            }
                            // The padding past n is not C's: left as it was.
                            for j in s.n..<ldc {
                                #expect(c[i * ldc + j].bitPattern == start[i * ldc + j].bitPattern, "C[\(i), \(j)] written")
                            }
                        }
                        #expect(worst <= 1e-5, "\(s) transA \(transA) transB \(transB) alpha \(alpha) beta \(beta) level \(CPULevel.name(level)) on stack \(onStack): \(worst)")
                    }
                }
            }
        }
    }

    /// As Gemm and MatMul call them: `PackedMatrix.multiply` gives what `gemm` (OpenBLAS) gives
    /// for the same B unpacked, at 1, 8 and 0 rows.
    @Test(arguments: [1, 8, 0])
    func packedAndUnpackedProductsAgree(_ m: Int) throws {
        let k = 70, n = 45
        let b = SingleRowProductTests.values(k * n, seed: 21)
        let packedB = try #require(PackedMatrix(Constant(b, type: .float, shape: [k, n]), transposed: false, limits: ModelLimits(), fewest: 1))
        let a = SingleRowProductTests.values(max(m, 1) * k, seed: 22)
        var viaBLAS = [Float](repeating: 1, count: m * n), viaPacked = viaBLAS
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                viaBLAS.withUnsafeMutableBufferPointer { pc in
                    gemm(m: m, n: n, k: k, pa.baseAddress!, lda: k, pb.baseAddress!, ldb: n, beta: 1, pc.baseAddress!, ldc: n)
                }
                viaPacked.withUnsafeMutableBufferPointer { pc in
                    packedB.multiply(m: m, pa.baseAddress!, lda: k, beta: 1, pc.baseAddress!, ldc: n)
                }
            }
        }
        #expect(viaPacked.count == m * n)
        for i in 0..<m * n {
            #expect(abs(viaPacked[i] - viaBLAS[i]) <= 1e-5 * max(1, abs(viaBLAS[i])), "C[\(i)] \(viaPacked[i]) vs \(viaBLAS[i])")
        }
    }

    /// A B whose packed form would exceed the model's tensor limit is not packed (the product
    /// then runs unpacked), nor is an FP64 or non-matrix constant, nor one too small to pay.
    @Test func packingStaysWithinTheLimits() {
        var limits = ModelLimits()
        limits.maxTensorElements = 100
        let b = Constant([Float](repeating: 1, count: 90), type: .float, shape: [9, 10])  // 9 × 16 padded: 144
        #expect(PackedMatrix(b, transposed: false, limits: limits, fewest: 1) == nil)
        #expect(PackedMatrix(b, transposed: true, limits: limits, fewest: 1) == nil)  // k 10 × n 9 padded: 160
        limits.maxTensorElements = 144
        let fits = PackedMatrix(b, transposed: false, limits: limits, fewest: 1)
        #expect(fits?.k == 9 && fits?.n == 10)
        #expect(PackedMatrix(b, transposed: false, limits: ModelLimits()) == nil)  // 90 < worthPacking
        let double = Constant([Double](repeating: 1, count: 90), type: .double, shape: [9, 10])
        #expect(PackedMatrix(double, transposed: false, limits: ModelLimits(), fewest: 1) == nil)
        let vector = Constant([Float](repeating: 1, count: 90), type: .float, shape: [90])
        #expect(PackedMatrix(vector, transposed: false, limits: ModelLimits(), fewest: 1) == nil)
    }

    /// dense_packed (scripts/make_dense_fixtures.py): Gemm's w1 [257, 256] and MatMul's w2
    /// [257, 259] are packed, so their steps read no B and the plan keeps neither constant; w3
    /// [259, 253] is below `worthPacking` and stays for OpenBLAS.
    @Test func aPackedWeightLivesOnlyInItsPackedForm() throws {
        let backend = try ONNXFusionTests.backend(ONNXFusionTests.fixture("dense_packed"), fusing: true)
        let packed = backend.plan.steps.filter(Self.isPacked)
        #expect(packed.count == 2, "\(backend.plan.steps.map(\.io.label))")
        #expect(packed.allSatisfy { $0.io.inputs[1] == -1 })
        let kept = Set(backend.plan.constants.map(\.1.count))
        #expect(!kept.contains(257 * 256) && !kept.contains(257 * 259) && kept.contains(259 * 253), "\(kept)")
    }

    /// A packed B that a graph output or another step also reads stays a constant for them:
    /// w1 answered as a graph output, w2 scaled by the mean of x, and the products as before.
    @Test func aPackedWeightThatSomethingElseReadsStays() throws {
        let file = try ONNXFusionTests.fixture("dense_packed")
        var initializers: [String: Onnx_TensorProto] = [:]
        let backend = try ONNXFusionTests.backend(file, fusing: true) { model in
            for t in model.graph.initializer { initializers[t.name] = t }
            model.graph.node += [
                ONNXGraph.node("ReduceMean", ["x"], ["x_mean"], name: "mean", int: ["keepdims": 0]),
                ONNXGraph.node("Mul", ["w2", "x_mean"], ["w2_scaled"], name: "scale"),
            ]
            for name in ["w1", "w2_scaled"] {
                var output = Onnx_ValueInfoProto()
                output.name = name
                model.graph.output.append(output)
            }
        }
        #expect(backend.plan.steps.filter(Self.isPacked).count == 2)
        let kept = Set(backend.plan.constants.map(\.1.count))
        #expect(kept.contains(257 * 256) && kept.contains(257 * 259), "\(kept)")

        let fixture = try ONNXFixtureTests.Fixture("dense_packed")
        let answers = try backend.infer([fixture.input])
        #expect(answers.map(\.name) == ["y", "w1", "w2_scaled"])
        let plain = try ONNXFusionTests.backend(file, fusing: true)
        ONNXFusionTests.expectSameAnswers(Array(answers.prefix(1)), try plain.infer([fixture.input]))
        let w1 = try Constant(proto: #require(initializers["w1"]), limits: ModelLimits())
        let w2 = try Constant(proto: #require(initializers["w2"]), limits: ModelLimits())
        #expect(answers[1].shape == [257, 256] && answers[1].data == .fp32(Array(w1.elements(as: Float.self))))
        guard case .fp32(let x) = fixture.input.data, case .fp32(let scaled) = answers[2].data else {
            Issue.record("FP32 expected")
            return
        }
        let mean = Float(x.map(Double.init).reduce(0, +) / Double(x.count))
        #expect(answers[2].shape == [257, 259] && scaled.count == w2.count)
        for (got, weight) in zip(scaled, w2.elements(as: Float.self)) {
            #expect(abs(got - weight * mean) <= 1e-5 * max(1, abs(weight * mean)))
        }
    }

    static func isPacked(_ step: ExecutionPlan.Step) -> Bool {
        (step.kernel as? GemmKernel)?.packedB != nil || (step.kernel as? MatMulKernel)?.packedB != nil
    }
}
