import Foundation
@testable import SluiceBackends
import SluiceCore
import Testing

/// A depthwise Conv and the pointwise 1×1 Conv reading it fused into one step run image by
/// image (SeparableConv.swift, GraphCompiler+SeparableFusion.swift), on onnxruntime's fixtures
/// from scripts/make_depthwise_fixtures.py (8 and 1 images: ONNXFixtureTests).
@Suite struct SeparableConvTests {
    /// depthwise_block: its one block is one step; depthwise_separable_pair: the first block is
    /// one step, the second (its depthwise output also a graph output) stays two.
    @Test(arguments: [("depthwise_block", 6, 1, 1), ("depthwise_separable_pair", 9, 3, 1)])
    func thePairFusesAndTheLookAlikeDoesNot(_ name: String, _ nodes: Int, _ steps: Int, _ pairs: Int) throws {
        let file = try ONNXFusionTests.fixture(name)
        let fused = try ONNXFusionTests.backend(file, fusing: true)
        let plain = try ONNXFusionTests.backend(file, fusing: false)
        #expect(plain.plan.steps.count == nodes)
        #expect(fused.plan.steps.count == steps, "\(fused.plan.steps.map(\.io.label))")
        #expect(fused.plan.steps.filter { $0.kernel is SeparableConvKernel }.count == pairs)
        let input = try ONNXFixtureTests.Fixture(name).input
        ONNXFusionTests.expectSameAnswers(try fused.infer([input]), try plain.infer([input]))
    }

    @Test func theGraphOutputKeepsItsDepthwiseStep() throws {
        let backend = try #require(try ONNXFixtureTests.load("depthwise_separable_pair") as? ONNXBackend)
        let labels = backend.plan.steps.map(\.io.label)
        let separate = backend.plan.steps.filter { ($0.kernel as? ConvKernel)?.depthwise == true }
        #expect(separate.map(\.io.label) == ["Conv '/dw2/Conv' + BatchNormalization '/bn1/BatchNormalization' + Clip '/act/Clip'"], "\(labels)")
    }

    @Test(arguments: ["depthwise_block", "depthwise_separable_pair"])
    func anEmptyBatchAnswersAnEmptyBatch(_ name: String) throws {
        try ONNXFixtureTests.expectAnEmptyBatchAnswersEmptyOutputs(name)
    }
}
