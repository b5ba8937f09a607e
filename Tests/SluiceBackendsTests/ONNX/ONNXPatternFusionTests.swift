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

    @Test(arguments: ["bert_decomposed", "gelu_layernorm_forms", "pattern_near_misses"], [8, 1, 0])
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
