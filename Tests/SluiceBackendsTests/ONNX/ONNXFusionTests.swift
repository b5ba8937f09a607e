import Foundation
@testable import SluiceBackends
import SluiceCore
import Testing

/// The graph compiler's fusion (GraphCompiler+Fusion.swift): a plan compiled with fusion (and
/// copy elision) and one compiled without answer alike on the real fixtures, fusion happens where it should, and an
/// intermediate that a graph output or a second reader still needs is left alone.
@Suite struct ONNXFusionTests {
    /// A backend for `file`'s graph after `edit`, compiled with or without fusion.
    static func backend(
        _ file: String, fusing: Bool, edit: (inout Onnx_ModelProto) -> Void = { _ in }
    ) throws -> ONNXBackend {
        var (name, model) = try ONNXBackend.parse(file)
        edit(&model)
        return try ONNXBackend(
            plan: GraphCompiler.compile(model, file: name, fusing: fusing),
            request: BackendLoadRequest(file: file, backend: "onnx"), fileName: name)
    }

    static func fixture(_ name: String) throws -> String {
        try ONNXFixtureTests.root().appendingPathComponent("\(name)/model.onnx").path
    }

    /// Every output of `a` equals `b`'s within 1e-5 relative (absolute near zero).
    static func expectSameAnswers(_ a: [Tensor], _ b: [Tensor]) {
        #expect(a.map(\.name) == b.map(\.name))
        #expect(a.map(\.shape) == b.map(\.shape))
        for (x, y) in zip(a, b) {
            switch (x.data, y.data) {
            case (.fp32(let p), .fp32(let q)):
                #expect(p.count == q.count, "\(x.name)")
                for (i, (u, v)) in zip(p, q).enumerated() {
                    #expect(abs(u - v) <= 1e-5 * max(abs(v), 1), "\(x.name)[\(i)]: \(u) vs \(v)")
                }
            case (.int64(let p), .int64(let q)):
                #expect(p == q, "\(x.name)")
            default:
                Issue.record("\(x.name): output types differ")
            }
        }
    }

    /// Fixtures with products followed by biases, batch norms and activations, and how many
    /// steps fusion leaves of their nodes.
    @Test(arguments: [
        ("mlp", 9, 5), ("cnn", 10, 7), ("cnn_variants", nil, nil), ("mlp_classifier", nil, nil),
        ("mlp_classifier_binary", nil, nil), ("mlp_regressor", nil, nil),
    ] as [(String, Int?, Int?)])
    func fusedAndUnfusedPlansAnswerAlike(_ name: String, _ unfusedSteps: Int?, _ fusedSteps: Int?) throws {
        let file = try Self.fixture(name)
        let fused = try Self.backend(file, fusing: true), plain = try Self.backend(file, fusing: false)
        #expect(fused.plan.steps.count < plain.plan.steps.count, "\(fused.plan.steps.map(\.io.label))")
        if let unfusedSteps, let fusedSteps {
            #expect(plain.plan.steps.count == unfusedSteps)
            #expect(fused.plan.steps.count == fusedSteps, "\(fused.plan.steps.map(\.io.label))")
        }
        let input = try ONNXFixtureTests.Fixture(name).input
        Self.expectSameAnswers(try fused.infer([input]), try plain.infer([input]))
    }

    @Test func theBundledDigitsModelFusesItsLayersAndAnswersAlike() throws {
        let file = BundledModelTests.root.appendingPathComponent("models/digits-mlp/1/model.onnx").path
        let fused = try Self.backend(file, fusing: true), plain = try Self.backend(file, fusing: false)
        let labels = fused.plan.steps.map(\.io.label)
        // The Cast of the FP32 input to FP32 is dropped; then MatMul + Add + Relu, and MatMul +
        // Add (Softmax is not an activation a product takes). The Identity that makes the
        // probabilities a graph output stays.
        #expect(labels.first?.hasPrefix("MatMul") == true, "\(labels)")
        #expect(labels.contains { $0.hasPrefix("Identity") }, "\(labels)")
        #expect(labels.filter { $0.hasPrefix("MatMul") && $0.contains("+ Add") }.count == 2, "\(labels)")
        #expect(labels.contains { $0.hasPrefix("MatMul") && $0.contains("+ Add") && $0.contains("+ Relu") }, "\(labels)")
        let rows = (0..<(5 * 64)).map { Float(($0 * 7) % 17) }
        let input = try Tensor(name: "input", shape: [5, 64], data: .fp32(rows))
        Self.expectSameAnswers(try fused.infer([input]), try plain.infer([input]))
    }

    /// mlp: Gemm l1 → Relu, MatMul → Add → Tanh. Making the Gemm's output a graph output, and
    /// giving the MatMul's output a second reader, keeps both as they were.
    @Test func anIntermediateThatIsAGraphOutputOrHasASecondReaderIsNotFused() throws {
        let file = try Self.fixture("mlp")
        func edit(_ model: inout Onnx_ModelProto) {
            var h1 = Onnx_ValueInfoProto()
            h1.name = "h1"
            var copy = Onnx_NodeProto()
            copy.opType = "Identity"
            copy.name = "second_reader"
            copy.input = ["m2"]
            copy.output = ["m2_copy"]
            var m2 = Onnx_ValueInfoProto()
            m2.name = "m2_copy"
            model.graph.node.append(copy)
            model.graph.output += [h1, m2]
        }
        let fused = try Self.backend(file, fusing: true, edit: edit)
        let plain = try Self.backend(file, fusing: false, edit: edit)
        let labels = fused.plan.steps.map(\.io.label)
        #expect(!labels.contains { $0.hasPrefix("Gemm") && $0.contains("Relu") }, "\(labels)")
        #expect(!labels.contains { $0.hasPrefix("MatMul") && $0.contains("+") }, "\(labels)")
        // The head and score Gemms' intermediates are still theirs alone: still fused.
        #expect(labels.contains { $0.hasPrefix("Gemm") && $0.contains("Sigmoid") }, "\(labels)")
        let input = try ONNXFixtureTests.Fixture("mlp").input
        let answers = try fused.infer([input])
        #expect(answers.map(\.name) == ["probabilities", "score", "h1", "m2_copy"])
        Self.expectSameAnswers(answers, try plain.infer([input]))
        // h1 is the Gemm's output before the Relu: some of it is negative.
        guard case .fp32(let h1) = answers[2].data else {
            Issue.record("h1 is not FP32")
            return
        }
        #expect(h1.contains { $0 < 0 })
    }

    /// mlp with its Relu replaced by a Clip to [-0.5, 0.5] whose bounds are initializers: the
    /// Gemm takes the clip, and answers as the Gemm and Clip run apart do.
    @Test func aClipWithConstantBoundsFusesIntoTheGemmBeforeIt() throws {
        let file = try Self.fixture("mlp")
        func edit(_ model: inout Onnx_ModelProto) {
            for (name, value) in [("clip_low", Float(-0.5)), ("clip_high", Float(0.5))] {
                var t = Onnx_TensorProto()
                t.name = name
                t.dataType = 1
                t.floatData = [value]
                model.graph.initializer.append(t)
            }
            for i in model.graph.node.indices where model.graph.node[i].opType == "Relu" {
                model.graph.node[i].opType = "Clip"
                model.graph.node[i].input += ["clip_low", "clip_high"]
            }
        }
        let fused = try Self.backend(file, fusing: true, edit: edit)
        let plain = try Self.backend(file, fusing: false, edit: edit)
        let labels = fused.plan.steps.map(\.io.label)
        #expect(labels.contains { $0.hasPrefix("Gemm") && $0.contains("+ Clip") }, "\(labels)")
        let input = try ONNXFixtureTests.Fixture("mlp").input
        let answers = try fused.infer([input])
        Self.expectSameAnswers(answers, try plain.infer([input]))
        // The clip took effect: the untouched model answers otherwise.
        #expect(answers != (try Self.backend(file, fusing: true).infer([input])))
    }
}
