import Foundation
@testable import SluiceBackends
import SluiceCore
import Testing

/// The pattern fusion at load (GraphCompiler+PatternFusion.swift) on scripts/make_attention_fixtures.py's
/// graphs: decomposed LayerNorm and GELU in their exporters' spellings become one step each (the
/// GELU inside the MatMul before it), look-alikes stay as they are, and fused and unfused plans
/// answer alike at 8, 1 and 0 rows (ONNXFixtureTests compares both with onnxruntime).
@Suite struct ONNXPatternFusionTests {
    static func labels(_ name: String) throws -> [String] {
        try ONNXFusionTests.backend(ONNXFusionTests.fixture(name), fusing: true).plan.steps.map(\.io.label)
    }

    @Test func theBenchmarksBertLayerRunsItsLayerNormsAndGeluAsKernels() throws {
        let labels = try Self.labels("bert_decomposed")
        #expect(labels.filter { $0.hasSuffix("as LayerNormalization") }.count == 2, "\(labels)")
        // MatMul + Add(bias) + the GELU chain, one step.
        #expect(labels.filter { $0.hasPrefix("MatMul") && $0.contains("+ Add") && $0.hasSuffix("as Gelu") }.count == 1, "\(labels)")
        // Transpose → MatMul → Mul → Softmax → MatMul → Transpose, one step.
        #expect(labels.filter { $0.hasPrefix("Softmax") && $0.hasSuffix("as Attention") }.count == 1, "\(labels)")
        let left = ["Pow", "Tanh", "Sqrt", "Transpose", "Softmax"]
        #expect(!labels.contains { !$0.contains(" as ") && left.contains(String($0.prefix { $0 != " " })) }, "\(labels)")
    }

    @Test func everySpellingOfGeluAndLayerNormFuses() throws {
        let labels = try Self.labels("gelu_layernorm_forms")
        #expect(labels.filter { $0.hasSuffix("as LayerNormalization") }.count == 2, "\(labels)")
        #expect(labels.filter { $0.hasPrefix("MatMul") && $0.hasSuffix("as Gelu") }.count == 3, "\(labels)")
        // K transposed in two steps, the scores divided by √d.
        #expect(labels.filter { $0.hasSuffix("as Attention") }.count == 1, "\(labels)")
        let left = ["Transpose", "Softmax", "Erf", "Tanh", "Pow", "Sqrt", "Div"]
        #expect(!labels.contains { !$0.contains(" as ") && left.contains(String($0.prefix { $0 != " " })) }, "\(labels)")
    }

    /// A normalised value that is a graph output, ε after the Sqrt, a mean over axis 1, a
    /// tanh GELU with another κ, an Erf output that is a graph output, attention with Softmax
    /// over axis 2: none of them fuses.
    @Test func lookAlikesStayAsTheyAre() throws {
        let labels = try Self.labels("pattern_near_misses")
        #expect(!labels.contains { $0.contains(" as ") }, "\(labels)")
        #expect(labels.filter { $0.hasPrefix("ReduceMean") }.count == 6, "\(labels)")
        #expect(labels.contains { $0.hasPrefix("Pow") }, "\(labels)")
        #expect(labels.contains { $0.hasPrefix("Erf") }, "\(labels)")
        #expect(labels.contains { $0.hasPrefix("Softmax") }, "\(labels)")
        #expect(labels.filter { $0.hasPrefix("Transpose") }.count == 4, "\(labels)")
    }

    /// x [rows, 6, width] through two decomposed LayerNorms with γ and β of 16 values: at width
    /// 1 the first one's Mul and Add widen each row to 16 (ONNXFixtureTests checks that against
    /// onnxruntime), at 16 it is the usual LayerNorm, and at widths that do not broadcast with
    /// 16 both plans refuse the request.
    @Test func aLayerNormWhoseScaleWidensTheLastDimensionAnswersAsTheUnfusedGraph() throws {
        let file = try ONNXFusionTests.fixture("layernorm_broadcast")
        let fused = try ONNXFusionTests.backend(file, fusing: true), plain = try ONNXFusionTests.backend(file, fusing: false)
        let labels = fused.plan.steps.map(\.io.label)
        #expect(labels.count == 2 && labels.allSatisfy { $0.hasSuffix("as LayerNormalization") }, "\(labels)")
        for width in [1, 16] {
            let x = ONNXHostileShapeTests.floats("x", [3, 6, width])
            let answers = try fused.infer([x])
            #expect(answers.map(\.shape) == [[3, 6, 16]])
            ONNXFusionTests.expectSameAnswers(answers, try plain.infer([x]))
        }
        for width in [3, 0] {
            let x = ONNXHostileShapeTests.floats("x", [3, 6, width])
            ONNXHostileShapeTests.expectRefusal(["as LayerNormalization", "do not broadcast"]) { try fused.infer([x]) }
            ONNXHostileShapeTests.expectRefusal(["do not broadcast"]) { try plain.infer([x]) }
        }
    }

    /// The operator itself keeps ONNX's contract: Y has X's shape, so a Scale that would widen
    /// X's last dimension is refused (onnxruntime refuses it too).
    @Test func theLayerNormalizationOperatorRefusesAScaleWiderThanX() throws {
        let node = ONNXGraph.node("LayerNormalization", ["x", "scale"], ["y"], name: "ln")
        let backend = try ONNXGraph.backend(
            [node], inputs: [ONNXGraph.value("x", [nil, nil])], outputs: ["y"],
            initializers: [ONNXGraph.floats("scale", [4], [1, 2, 3, 4])], opset: 17)
        ONNXHostileShapeTests.expectRefusal(["LayerNormalization 'ln'", "Scale [4]"]) {
            try backend.infer([ONNXHostileShapeTests.floats("x", [2, 1])])
        }
        #expect(try backend.infer([ONNXHostileShapeTests.floats("x", [2, 4])])[0].shape == [2, 4])
    }

    @Test(arguments: ["bert_decomposed", "gelu_layernorm_forms", "pattern_near_misses", "layernorm_broadcast"], [8, 1, 0])
    func fusedAndUnfusedPlansAnswerAlike(_ name: String, _ rows: Int) throws {
        let file = try ONNXFusionTests.fixture(name)
        let fused = try ONNXFusionTests.backend(file, fusing: true), plain = try ONNXFusionTests.backend(file, fusing: false)
        let input = try ONNXFixtureTests.Fixture(name).input
        guard case .fp32(let values) = input.data else {
            Issue.record("\(name): the input is not FP32")
            return
        }
        let width = values.count / input.shape[0]
        let part = try Tensor(name: input.name, shape: [rows] + input.shape.dropFirst(), data: .fp32(Array(values[0..<rows * width])))
        let answers = try fused.infer([part])
        #expect(answers.allSatisfy { $0.shape.first == rows }, "\(answers.map(\.shape))")
        ONNXFusionTests.expectSameAnswers(answers, try plain.infer([part]))
    }
}
