import Foundation
@testable import SluiceBackends
import SluiceCore
import Testing

/// The pointwise Conv kernel (PointwiseConv.swift, Sources/CKernels/pointwise.c): at every
/// instruction-set level this machine runs, products whose maps are not a multiple of the tile
/// height, whose columns are not a multiple of the tile width, with one channel or more than a
/// block of them, answer the FP64 product within 1e-5 relative, with and without a bias, under
/// each fused activation, in place, and streamed (non-temporal stores) into Y at each offset
/// within a 64-byte line, rows a whole number of lines apart (AVX-512 peels the columns before
/// the first line) or not (each row on its own), the floats around Y untouched. A separable
/// pair whose depthwise output is cut into several bands answers as the two Convs run apart;
/// the fixtures (scripts/make_depthwise_fixtures.py, checked against onnxruntime by
/// ONNXFixtureTests) run through it, and an empty batch answers an empty batch.
@Suite struct PointwiseConvTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var maps: Int
        var channels: Int
        var columns: Int
        /// Floats between X's rows (and Y's): more than `columns` for a band of a wider tensor.
        var stride: Int?
        var bias = true
        var activation = Activation.identity
        var stream = false

        var testDescription: String { "\(maps) × \(channels) × \(columns) (\(stride ?? columns)) \(activation)\(stream ? " streamed" : "")" }
        var ld: Int { stride ?? columns }
    }

    static let cases: [Case] = [
        // MobileNet's 64 → 128 at 56×56 (whole tiles at every level), then a band of it.
        Case(maps: 128, channels: 64, columns: 3136, activation: .clip(low: 0, high: 6), stream: true),
        Case(maps: 128, channels: 64, columns: 504, stride: 3136, activation: .clip(low: 0, high: 6)),
        // Maps off the tile heights (6, 12), columns off the widths (8, 16, 64).
        Case(maps: 13, channels: 5, columns: 37, bias: false, activation: .relu),
        Case(maps: 1, channels: 1, columns: 1),
        Case(maps: 7, channels: 3, columns: 71, stride: 80, activation: .leakyRelu(0.1)),
        Case(maps: 25, channels: 16, columns: 9, activation: .sigmoid, stream: true),
        Case(maps: 19, channels: 2, columns: 130, bias: false, activation: .tanh),
        // More channels than a block of 256: the later blocks add to the output, then finish it.
        Case(maps: 17, channels: 300, columns: 70, activation: .relu),
        Case(maps: 6, channels: 513, columns: 33, stride: 35, activation: .clip(low: -0.5, high: 0.5), stream: true),
        Case(maps: 40, channels: 257, columns: 200, bias: false),
        // Streamed: rows a whole number of lines apart, so one peel serves every row of a tile;
        // rows 3 floats further each (every row at its own alignment); more than a block of
        // channels, streamed only once the last block finishes a column.
        Case(maps: 13, channels: 5, columns: 150, stride: 160, bias: false, activation: .relu, stream: true),
        Case(maps: 9, channels: 7, columns: 200, stride: 203, stream: true),
        Case(maps: 7, channels: 300, columns: 150, stride: 176, activation: .clip(low: -0.5, high: 0.5), stream: true),
    ]

    static func values(_ count: Int, _ seed: Int) -> [Float] {
        (0..<count).map { Float(($0 * 7919 + seed * 104_729) % 1999) / 1000 - 1 }
    }

    /// The product in FP64, then the activation in FP64; the columns past `columns` stay NaN.
    static func reference(_ c: Case, _ x: [Float], _ w: [Float], _ bias: [Float]?) -> [Double] {
        var y = [Double](repeating: .nan, count: c.maps * c.ld)
        for m in 0..<c.maps {
            for j in 0..<c.columns {
                var s = Double(bias?[m] ?? 0)
                for k in 0..<c.channels { s += Double(w[m * c.channels + k]) * Double(x[k * c.ld + j]) }
                y[m * c.ld + j] = s
            }
            y.withUnsafeMutableBufferPointer { c.activation.applyFP64($0.baseAddress! + m * c.ld, $0.baseAddress! + m * c.ld, c.columns, bias: 0) }
        }
        return y
    }

    @Test(arguments: cases)
    func everyLevelAnswersTheProduct(_ c: Case) throws {
        let x = Self.values(c.channels * c.ld, 1), w = Self.values(c.maps * c.channels, 2)
        let bias = c.bias ? Self.values(c.maps, 3) : nil
        let packed = try #require(PointwiseWeights(Constant(w, type: .float, shape: [c.maps, c.channels, 1, 1]), limits: ModelLimits()))
        #expect(packed.maps == c.maps && packed.channels == c.channels)
        let want = Self.reference(c, x, w, bias)
        // Y at each offset (floats) past a 64-byte line: streamed outputs at every alignment the
        // kernel tells apart (a whole line, half of one, a float, and the 48 bytes of a lent answer).
        let line = 16
        let offsets = c.stream ? [0, 1, 4, 8, 12] : [0]
        let storage = UnsafeMutableRawPointer.allocate(byteCount: (c.maps * c.ld + line) * 4, alignment: line * 4)
        defer { storage.deallocate() }
        let all = storage.bindMemory(to: Float.self, capacity: c.maps * c.ld + line)
        for level in CPULevel.runnable {
            for offset in offsets {
                all.initialize(repeating: .nan, count: c.maps * c.ld + line)
                (bias ?? []).withUnsafeBufferPointer { pb in
                    packed.run(
                        x, ldx: c.ld, columns: c.columns, bias: bias == nil ? nil : pb.baseAddress, activation: c.activation,
                        into: all + offset, ldy: c.ld, stream: c.stream, level: level)
                }
                let at = "level \(CPULevel.name(level)), Y \(offset * 4) bytes past a line"
                var wrong = 0
                for i in 0..<(c.maps * c.ld + line) {
                    // Columns past the band, and the floats around Y, are not written: still NaN.
                    let (g, r) = (all[i], i >= offset && i - offset < want.count ? want[i - offset] : .nan)
                    let fine = r.isNaN ? g.isNaN : abs(Double(g) - r) <= 1e-5 * max(abs(r), 1)
                    if !fine, wrong < 3 { Issue.record("\(at) [\(i - offset)]: \(g) vs \(r)") }
                    if !fine { wrong += 1 }
                }
                #expect(wrong == 0, "\(at)")
            }
        }
    }

    /// NaN in the input stays NaN through the clamp, at every level, as onnxruntime's Clip keeps it.
    @Test func nanStaysNaNThroughTheClamp() throws {
        var x = [Float](repeating: 1, count: 2 * 70)
        x[70 + 33] = .nan
        let packed = try #require(PointwiseWeights(Constant([1, 1, 2, 2] as [Float], type: .float, shape: [2, 2, 1, 1]), limits: ModelLimits()))
        for level in CPULevel.runnable {
            var got = [Float](repeating: 0, count: 2 * 70)
            got.withUnsafeMutableBufferPointer { out in
                packed.run(
                    x, ldx: 70, columns: 70, bias: nil, activation: .clip(low: 0, high: 3), into: out.baseAddress!, ldy: 70,
                    stream: false, level: level)
            }
            for m in 0..<2 {
                for j in 0..<70 {
                    let v = got[m * 70 + j]
                    #expect(j == 33 ? v.isNaN : v == Float(2 * (m + 1)).clamped(3), "level \(CPULevel.name(level)) (\(m), \(j))")
                }
            }
        }
    }

    /// Weights with a window wider than 1 are not packed; the Convs take the kernel from AVX2 up.
    @Test func onlyWeightsOfAOneByOneWindowArePacked() throws {
        #expect(PointwiseWeights(Constant([1, 2, 3, 4] as [Float], type: .float, shape: [1, 1, 2, 2]), limits: ModelLimits()) == nil)
        #expect(PointwiseWeights(Constant([1, 2] as [Float], type: .float, shape: [2, 1, 1, 1]), limits: ModelLimits()) != nil)
        let packed = try #require(PointwiseWeights(Constant([1, 2] as [Float], type: .float, shape: [2, 1]), limits: ModelLimits()))
        #expect(CPULevel.runnable.map { packed.runs(maps: 2, channels: 1, level: $0) } == CPULevel.runnable.map { $0 >= 1 })
        #expect(!packed.runs(maps: 1, channels: 2, level: CPULevel.detected))
    }

    /// A separable pair on 64 maps 41 × 120 (bands of 34 rows and 7), 23 output maps, a Clip
    /// after the depthwise half and a LeakyRelu after the pointwise one: the fused step
    /// (bands, packed weights) and the two Convs apart (depthwise kernel, packed pointwise
    /// weights over whole images) answer alike, and both match OpenBLAS's product (fusion off
    /// and the weights an input).
    @Test func bandsOfTheSeparablePairAnswerAsTheConvsApart() throws {
        let (channels, outMaps, h, w) = (64, 23, 41, 120)
        #expect(SeparableConvKernel.bandBytes / 4 / (channels * w) == 34)
        let nodes = [
            ONNXGraph.node("Conv", ["x", "dw", "db"], ["d"], name: "dw", int: ["group": channels], ints: ["kernel_shape": [3, 3], "pads": [1, 1, 1, 1]]),
            ONNXGraph.node("Clip", ["d", "lo", "hi"], ["r"], name: "clip"),
            ONNXGraph.node("Conv", ["r", "pw", "pb"], ["p"], name: "pw", ints: ["kernel_shape": [1, 1]]),
            ONNXGraph.node("LeakyRelu", ["p"], ["y"], name: "leaky"),
        ]
        let initializers = [
            ONNXGraph.floats("dw", [channels, 1, 3, 3], Self.values(channels * 9, 4)),
            ONNXGraph.floats("db", [channels], Self.values(channels, 5)),
            ONNXGraph.floats("pw", [outMaps, channels, 1, 1], Self.values(outMaps * channels, 6)),
            ONNXGraph.floats("pb", [outMaps], Self.values(outMaps, 7)),
            ONNXGraph.floats("lo", [], [0]), ONNXGraph.floats("hi", [], [0.6]),
        ]
        let fused = try ONNXGraph.backend(
            nodes, inputs: [ONNXGraph.value("x", [nil, channels, h, w])], outputs: ["y"], initializers: initializers)
        let pairs = fused.plan.steps.compactMap { $0.kernel as? SeparableConvKernel }
        #expect(pairs.count == 1 && pairs.first?.pointwise.pointwiseWeights != nil)
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 13
        model.opsetImport = [opset]
        model.graph.node = nodes
        model.graph.input = [ONNXGraph.value("x", [nil, channels, h, w])]
        model.graph.output = [{ var v = Onnx_ValueInfoProto(); v.name = "y"; return v }()]
        model.graph.initializer = initializers
        let apart = try ONNXBackend(
            plan: GraphCompiler.compile(model, file: "model.onnx", fusing: false),
            request: BackendLoadRequest(file: "model.onnx", backend: "onnx"), fileName: "model.onnx")
        #expect(apart.plan.steps.compactMap { ($0.kernel as? ConvKernel)?.pointwiseWeights }.count == 1)
        let input = try Tensor(name: "x", shape: [3, channels, h, w], data: .fp32(Self.values(3 * channels * h * w, 8)))
        let answer = try fused.infer([input])
        ONNXFusionTests.expectSameAnswers(answer, try apart.infer([input]))
        // The weights an input: no packing, OpenBLAS's sgemm.
        model.graph.input.append(ONNXGraph.value("pw", [outMaps, channels, 1, 1]))
        model.graph.initializer.removeAll { $0.name == "pw" }
        let blas = try ONNXBackend(
            plan: GraphCompiler.compile(model, file: "model.onnx", fusing: false),
            request: BackendLoadRequest(file: "model.onnx", backend: "onnx"), fileName: "model.onnx")
        let weights = try Tensor(name: "pw", shape: [outMaps, channels, 1, 1], data: .fp32(Self.values(outMaps * channels, 6)))
        ONNXFusionTests.expectSameAnswers(answer, try blas.infer([input, weights]))
    }

    @Test(arguments: ["pointwise_odd", "depthwise_separable_odd"])
    func anEmptyBatchAnswersAnEmptyBatch(_ name: String) throws {
        try ONNXFixtureTests.expectAnEmptyBatchAnswersEmptyOutputs(name)
    }
}

extension Float {
    fileprivate func clamped(_ high: Float) -> Float { Swift.min(self, high) }
}
