import Foundation
@testable import SluiceBackends
import SluiceCore
import Testing

/// The depthwise Conv kernel (DepthwiseConv.swift, Sources/CKernels/depthwise.c): at every
/// instruction-set level this machine runs, each window (3×3 at strides 1 and 2, 5×5, dilations,
/// multipliers, uneven pads, kernels off the fast paths) answers the direct sum in FP64 within
/// 1e-5 relative, with and without a bias, under each fused activation. The fixtures
/// (scripts/make_depthwise_fixtures.py, checked against onnxruntime by ONNXFixtureTests) run
/// through it, and an empty batch answers an empty batch.
@Suite struct DepthwiseConvTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var images = 2, channels = 3, multiplier = 1
        var size: (h: Int, w: Int)
        var kernel: (h: Int, w: Int) = (3, 3)
        var stride: (h: Int, w: Int) = (1, 1)
        var dilation: (h: Int, w: Int) = (1, 1)
        /// top, left, bottom, right
        var pads = (0, 0, 0, 0)
        var bias = true
        var activation = Activation.identity

        var testDescription: String {
            "\(size) kernel \(kernel) stride \(stride) dilation \(dilation) pads \(pads) ×\(multiplier) \(activation)"
        }

        var output: (h: Int, w: Int) {
            let eh = (kernel.h - 1) * dilation.h + 1, ew = (kernel.w - 1) * dilation.w + 1
            return ((size.h + pads.0 + pads.2 - eh) / stride.h + 1, (size.w + pads.1 + pads.3 - ew) / stride.w + 1)
        }

        var plan: Window.Plan {
            var p = Window.Plan()
            p.input = [1, size.h, size.w]
            p.output = [1, output.h, output.w]
            p.kernel = [1, kernel.h, kernel.w]
            p.stride = [1, stride.h, stride.w]
            p.dilation = [1, dilation.h, dilation.w]
            p.padBegin = [0, pads.0, pads.1]
            p.padEnd = [0, pads.2, pads.3]
            p.outputDims = [output.h, output.w]
            return p
        }
    }

    static let cases: [Case] = [
        // MobileNet's layers, at widths with and without a remainder of 16 (8) columns.
        Case(size: (56, 56), pads: (1, 1, 1, 1), activation: .clip(low: 0, high: 6)),
        Case(size: (13, 21), pads: (1, 1, 1, 1), bias: false, activation: .relu),
        Case(size: (28, 37), stride: (2, 2), pads: (1, 1, 1, 1), activation: .clip(low: 0, high: 6)),
        Case(size: (15, 17), stride: (2, 2), pads: (1, 0, 1, 2)),
        Case(size: (9, 40), stride: (2, 2), pads: (0, 0, 0, 0), bias: false),
        Case(size: (14, 33), kernel: (5, 5), pads: (2, 2, 2, 2), activation: .relu),
        Case(size: (19, 35), kernel: (5, 5), stride: (2, 2), pads: (2, 2, 2, 2)),
        // A multiplier, dilations, pads beyond the window's reach of the plane, a plane narrower
        // than the window.
        Case(channels: 2, multiplier: 3, size: (11, 13), pads: (1, 1, 1, 1), activation: .leakyRelu(0.1)),
        Case(size: (12, 20), dilation: (2, 2), pads: (2, 2, 2, 2), activation: .sigmoid),
        Case(size: (10, 11), kernel: (5, 5), dilation: (2, 3), pads: (4, 6, 4, 6), bias: false),
        Case(size: (3, 2), pads: (2, 3, 2, 3)),
        Case(size: (4, 4), kernel: (3, 3), stride: (2, 2), pads: (3, 3, 3, 3), activation: .tanh),
        // Off the fast paths: other kernel sizes, stride 3, stride (1, 2).
        Case(multiplier: 2, size: (20, 19), kernel: (2, 2), stride: (3, 3)),
        Case(size: (20, 19), stride: (3, 3), pads: (1, 1, 1, 1)),
        Case(size: (17, 18), kernel: (7, 5), dilation: (1, 2), pads: (3, 4, 2, 1), activation: .relu),
        Case(size: (9, 10), kernel: (1, 1)),
        Case(size: (16, 33), stride: (1, 2), pads: (1, 1, 1, 1)),
        Case(size: (16, 33), stride: (2, 1), pads: (0, 1, 1, 0)),
        // A negative top pad: a band of output rows further down the plane (SeparableConvKernel).
        Case(size: (20, 19), pads: (-3, 1, 1, 1), activation: .relu),
        Case(size: (21, 40), kernel: (5, 5), stride: (2, 2), pads: (-4, 2, 2, 2)),
    ]

    static func values(_ count: Int, _ seed: Int) -> [Float] {
        (0..<count).map { Float(($0 * 7919 + seed * 104_729) % 1999) / 1000 - 1 }
    }

    /// The direct sum in FP64, then the activation in FP64.
    static func reference(_ c: Case, _ x: [Float], _ w: [Float], _ bias: [Float]?) -> [Double] {
        let (OH, OW) = c.output
        let maps = c.channels * c.multiplier
        var y = [Double](repeating: 0, count: c.images * maps * OH * OW)
        for b in 0..<c.images {
            for m in 0..<maps {
                let channel = m / c.multiplier
                for oh in 0..<OH {
                    for ow in 0..<OW {
                        var s = Double(bias?[m] ?? 0)
                        for kh in 0..<c.kernel.h {
                            let ih = oh * c.stride.h - c.pads.0 + kh * c.dilation.h
                            guard ih >= 0, ih < c.size.h else { continue }
                            for kw in 0..<c.kernel.w {
                                let iw = ow * c.stride.w - c.pads.1 + kw * c.dilation.w
                                guard iw >= 0, iw < c.size.w else { continue }
                                s += Double(w[m * c.kernel.h * c.kernel.w + kh * c.kernel.w + kw])
                                    * Double(x[((b * c.channels + channel) * c.size.h + ih) * c.size.w + iw])
                            }
                        }
                        y[((b * maps + m) * OH + oh) * OW + ow] = s
                    }
                }
            }
        }
        y.withUnsafeMutableBufferPointer { c.activation.applyFP64($0.baseAddress!, $0.baseAddress!, $0.count, bias: 0) }
        return y
    }

    /// The kernel's answer at `level`.
    static func answer(_ c: Case, _ x: [Float], _ w: [Float], _ bias: [Float]?, level: Int32) -> [Float] {
        let maps = c.channels * c.multiplier
        var got = [Float](repeating: .nan, count: c.images * maps * c.output.h * c.output.w)
        let b = bias ?? []
        b.withUnsafeBufferPointer { pb in
            got.withUnsafeMutableBufferPointer { out in
                ConvKernel.depthwise(
                    x, w, bias: bias == nil ? nil : pb.baseAddress, into: out.baseAddress!, images: c.images,
                    channels: c.channels, maps: maps, c.plan, activation: c.activation, level: level)
            }
        }
        return got
    }

    @Test(arguments: cases)
    func everyLevelAnswersTheDirectSum(_ c: Case) {
        let maps = c.channels * c.multiplier
        let x = Self.values(c.images * c.channels * c.size.h * c.size.w, 1)
        let w = Self.values(maps * c.kernel.h * c.kernel.w, 2)
        let bias = c.bias ? Self.values(maps, 3) : nil
        let want = Self.reference(c, x, w, bias)
        for level in CPULevel.runnable {
            let got = Self.answer(c, x, w, bias, level: level)
            var wrong = 0
            for (i, (g, r)) in zip(got, want).enumerated() where !(abs(Double(g) - r) <= 1e-5 * max(abs(r), 1)) {
                if wrong < 3 { Issue.record("level \(CPULevel.name(level)) [\(i)]: \(g) vs \(r)") }
                wrong += 1
            }
            #expect(wrong == 0, "level \(CPULevel.name(level))")
        }
    }

    /// NaN in the input stays NaN through the clamp, at every level, as onnxruntime's Clip keeps it.
    @Test func nanStaysNaNThroughTheClamp() {
        let c = Case(images: 1, channels: 1, size: (4, 20), pads: (1, 1, 1, 1), activation: .clip(low: 0, high: 6))
        var x = [Float](repeating: 1, count: 80)
        x[25] = .nan
        let w = [Float](repeating: 1, count: 9)
        for level in CPULevel.runnable {
            var got = [Float](repeating: 0, count: 80)
            got.withUnsafeMutableBufferPointer { out in
                ConvKernel.depthwise(
                    x, w, bias: nil, into: out.baseAddress!, images: 1, channels: 1, maps: 1, c.plan, activation: c.activation,
                    level: level)
            }
            // Every output whose window covers (1, 5) is NaN; the others are clamped to 6 or less.
            for oh in 0..<4 {
                for ow in 0..<20 {
                    let covers = abs(oh - 1) <= 1 && abs(ow - 5) <= 1
                    #expect(got[oh * 20 + ow].isNaN == covers, "level \(CPULevel.name(level)) (\(oh), \(ow))")
                    if !covers { #expect(got[oh * 20 + ow] <= 6) }
                }
            }
        }
    }

    /// The fixtures' depthwise Convs are compiled to the depthwise kernel, the pointwise 1×1 and
    /// a Conv whose weights are an input not.
    @Test func depthwiseIsDecidedFromTheWeightsAtLoad() throws {
        let backend = try #require(try ONNXFixtureTests.load("depthwise_block") as? ONNXBackend)
        // The block's two Convs are one fused step (SeparableConvKernel) holding both.
        let convs = backend.plan.steps.compactMap { $0.kernel as? SeparableConvKernel }.flatMap { [$0.depthwise, $0.pointwise] }
        #expect(convs.map(\.depthwise) == [true, false])
        #expect(convs.map(\.activation) == [.clip(low: 0, high: 6), .clip(low: 0, high: 6)])
        let input = try ONNXGraph.backend(
            [ONNXGraph.node("Conv", ["x", "w"], ["y"], name: "conv", int: ["group": 2], ints: ["kernel_shape": [3, 3]])],
            inputs: [ONNXGraph.value("x", [1, 2, 5, 5]), ONNXGraph.value("w", [2, 1, 3, 3])], outputs: ["y"])
        #expect(input.plan.steps.compactMap { ($0.kernel as? ConvKernel)?.depthwise } == [false])
    }

    @Test(arguments: ["depthwise_block", "depthwise_windows", "depthwise_odd"])
    func anEmptyBatchAnswersAnEmptyBatch(_ name: String) throws {
        try ONNXFixtureTests.expectAnEmptyBatchAnswersEmptyOutputs(name)
    }
}
