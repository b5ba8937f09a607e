import Foundation
@testable import SluiceBackends
import SluiceCore
import Testing

/// Winograd F(2×2, 3×3) (ConvWinograd.swift, Sources/CKernels/winograd.c) and the residual Add
/// fused into a Conv (GraphCompiler+ResidualFusion.swift). onnxruntime's answers are the
/// fixtures of scripts/make_conv_fixtures.py, run by `ONNXFixtureTests` at the level in use;
/// here every level this machine runs answers as a direct convolution computed in Double, and
/// all levels give the same bits.
@Suite struct ConvWinogradTests {
    struct Geometry: Sendable, CustomStringConvertible {
        var batch: Int
        var channels: Int
        var maps: Int
        var h: Int
        var w: Int
        /// Top, left, bottom, right.
        var pads: [Int]
        var residual = false
        var description: String { "\(batch)×\(channels)→\(maps) \(h)×\(w) pads \(pads)\(residual ? " + residual" : "")" }
    }

    static let geometries: [Geometry] = [
        Geometry(batch: 1, channels: 3, maps: 5, h: 7, w: 9, pads: [1, 1, 1, 1]),
        Geometry(batch: 8, channels: 17, maps: 9, h: 6, w: 5, pads: [1, 1, 1, 1], residual: true),
        Geometry(batch: 2, channels: 4, maps: 3, h: 8, w: 11, pads: [0, 2, 1, 0]),
        Geometry(batch: 3, channels: 2, maps: 2, h: 3, w: 3, pads: [0, 0, 0, 0]),
        // One tile row wider than a block (140 tiles), so blocks hold single tile rows.
        Geometry(batch: 2, channels: 2, maps: 3, h: 4, w: 279, pads: [1, 1, 1, 1], residual: true),
    ]

    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 40) % 2001 - 1000) / 500
        }
    }

    /// A workspace with room for scratch only (no plan values).
    static func workspace() -> Workspace {
        Workspace(
            plan: ExecutionPlan(
                valueCount: 0, steps: [], constants: [], bufferOf: [], bufferCount: 0, inputs: [], outputs: [],
                limits: ModelLimits(), strings: []))
    }

    @Test(arguments: geometries)
    func everyLevelAnswersAsADirectConvolution(_ g: Geometry) throws {
        let (oh, ow) = (g.h + g.pads[0] + g.pads[2] - 2, g.w + g.pads[1] + g.pads[3] - 2)
        let x = Self.values(g.batch * g.channels * g.h * g.w, seed: 1)
        let weights = Self.values(g.maps * g.channels * 9, seed: 2).map { $0 / 4 }
        let bias = Self.values(g.maps, seed: 3)
        let outCount = g.batch * g.maps * oh * ow
        let residual = g.residual ? Self.values(outCount, seed: 4) : []
        var reference = [Double](repeating: 0, count: outCount)
        for b in 0..<g.batch {
            for m in 0..<g.maps {
                for i in 0..<oh {
                    for j in 0..<ow {
                        var sum = Double(bias[m])
                        for c in 0..<g.channels {
                            for kh in 0..<3 {
                                for kw in 0..<3 {
                                    let ih = i + kh - g.pads[0], iw = j + kw - g.pads[1]
                                    guard ih >= 0, ih < g.h, iw >= 0, iw < g.w else { continue }
                                    sum += Double(x[((b * g.channels + c) * g.h + ih) * g.w + iw])
                                        * Double(weights[((m * g.channels + c) * 3 + kh) * 3 + kw])
                                }
                            }
                        }
                        let at = ((b * g.maps + m) * oh + i) * ow + j
                        if g.residual { sum += Double(residual[at]) }
                        reference[at] = max(sum, 0)
                    }
                }
            }
        }
        let winograd = try #require(Winograd(transforming: Constant(weights, type: .float, shape: [g.maps, g.channels, 3, 3])))
        var p = Window.Plan()
        p.input = [1, g.h, g.w]
        p.output = [1, oh, ow]
        p.kernel = [1, 3, 3]
        p.padBegin = [0, g.pads[0], g.pads[1]]
        p.padEnd = [0, g.pads[2], g.pads[3]]
        p.outputDims = [oh, ow]
        #expect(winograd.fits(p, channels: g.channels, maps: g.maps))
        var answers: [[Float]] = []
        for level in CPULevel.runnable {
            var out = [Float](repeating: .nan, count: outCount)
            let ran = x.withUnsafeBufferPointer { px in
                bias.withUnsafeBufferPointer { pb in
                    residual.withUnsafeBufferPointer { pr in
                        out.withUnsafeMutableBufferPointer { po in
                            winograd.run(
                                px.baseAddress!, batch: g.batch, p, bias: pb.baseAddress, residual: g.residual ? pr.baseAddress : nil,
                                activation: .relu, into: po.baseAddress!, Self.workspace(), level: level)
                        }
                    }
                }
            }
            #expect(ran)
            for (i, (got, want)) in zip(out, reference).enumerated() {
                #expect(abs(Double(got) - want) <= 1e-5 * max(abs(want), 1), "\(CPULevel.name(level)) [\(i)]: \(got) vs \(want)")
            }
            answers.append(out)
        }
        #expect(answers.allSatisfy { $0 == answers[0] }, "the levels differ")
    }

    /// Winograd takes 3×3 convolutions of at least `Winograd.minChannels` input channels (every
    /// fixture here); a single-channel stem (the 1×8×8 CNN fixture), though its weights look
    /// depthwise ([maps, 1, 3, 3]), stays on im2col.
    @Test func winogradTakesConvolutionsOfEnoughChannels() throws {
        for name in ["conv_winograd", "conv_winograd_wide"] {
            let backend = try ONNXFusionTests.backend(try ONNXFusionTests.fixture(name), fusing: true)
            let convs = backend.plan.steps.compactMap { $0.kernel as? ConvKernel }
            #expect(!convs.isEmpty && convs.allSatisfy { $0.winograd != nil }, "\(name)")
        }
        let cnn = try ONNXFusionTests.backend(try ONNXFusionTests.fixture("cnn"), fusing: true)
        let first = try #require(cnn.plan.steps.compactMap { $0.kernel as? ConvKernel }.first)
        #expect(first.group == 1 && first.window.kernel == [3, 3] && first.winograd == nil && !first.depthwise)
    }

    /// The ResNet block's skip Add and the Add whose Conv comes second fuse into their Convs;
    /// fused and unfused plans answer alike.
    @Test func residualAddsFuseIntoTheirConvolutions() throws {
        let file = try ONNXFusionTests.fixture("conv_winograd_residual")
        let fused = try ONNXFusionTests.backend(file, fusing: true)
        let plain = try ONNXFusionTests.backend(file, fusing: false)
        #expect(plain.plan.steps.count == 10)
        #expect(fused.plan.steps.count == 3, "\(fused.plan.steps.map(\.io.label))")
        #expect(fused.plan.steps.allSatisfy { ($0.kernel as? ConvKernel)?.winograd != nil })
        #expect(fused.plan.steps.filter { ($0.kernel as? ConvKernel)?.residual == true }.count == 2)
        let input = try ONNXFixtureTests.Fixture("conv_winograd_residual").input
        ONNXFusionTests.expectSameAnswers(try fused.infer([input]), try plain.infer([input]))
    }

    /// An Add whose other operand is made after the Conv stays its own step.
    @Test func anAddOfAValueMadeAfterTheConvIsNotFused() throws {
        let nodes = [
            ONNXGraph.node("Conv", ["x", "w"], ["c"], name: "conv", ints: ["pads": [1, 1, 1, 1]]),
            ONNXGraph.node("Relu", ["x"], ["later"], name: "relu"),
            ONNXGraph.node("Add", ["c", "later"], ["y"], name: "add"),
        ]
        let backend = try ONNXGraph.backend(
            nodes, inputs: [ONNXGraph.value("x", [nil, 2, 4, 4])], outputs: ["y"],
            initializers: [ONNXGraph.floats("w", [2, 2, 3, 3], Self.values(36, seed: 5))])
        #expect(backend.plan.steps.count == 3)
        #expect(!backend.plan.steps.contains { ($0.kernel as? ConvKernel)?.residual == true })
    }

    /// A fused residual that broadcasts ([1, maps, 1, 1] against [batch, maps, H, W]) answers
    /// as the Add node would.
    @Test func aResidualThatBroadcastsAnswersAsTheAddNode() throws {
        func answer(fused: Bool) throws -> Tensor {
            let nodes = [
                ONNXGraph.node("Conv", ["x", "w"], ["c"], name: "conv", ints: ["pads": [1, 1, 1, 1]]),
                ONNXGraph.node("Add", ["c", "s"], ["y"], name: "add"),
                ONNXGraph.node("Relu", ["y"], ["r"], name: "relu"),
            ]
            // The Conv's output as a graph output too keeps the Add a step of its own.
            let backend = try ONNXGraph.backend(
                nodes, inputs: [ONNXGraph.value("x", [nil, 2, 5, 5]), ONNXGraph.value("s", [1, 3, 1, 1])],
                outputs: fused ? ["r"] : ["r", "c"],
                initializers: [ONNXGraph.floats("w", [3, 2, 3, 3], Self.values(54, seed: 6))])
            let residualFused = backend.plan.steps.contains { ($0.kernel as? ConvKernel)?.residual == true }
            #expect(residualFused == fused)
            let x = try Tensor(name: "x", shape: [2, 2, 5, 5], data: .fp32(Self.values(100, seed: 7)))
            let s = try Tensor(name: "s", shape: [1, 3, 1, 1], data: .fp32([0.5, -1, 2]))
            return try backend.infer([x, s])[0]
        }
        let fused = try answer(fused: true)
        #expect(fused.shape == [2, 3, 5, 5])
        ONNXFusionTests.expectSameAnswers([fused], [try answer(fused: false)])
    }

    @Test func zeroImagesAnswerAnEmptyBatch() throws {
        let backend = try ONNXFixtureTests.load("conv_winograd_residual")
        let empty = try Tensor(name: "x", shape: [0, 12, 13, 7], data: .fp32([]))
        let answer = try backend.infer([empty])
        #expect(answer.map(\.shape) == [[0, 12, 13, 7]])
    }
}
