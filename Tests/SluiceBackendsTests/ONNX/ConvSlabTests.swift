import Foundation
@testable import SluiceBackends
import SluiceCore
import Testing

/// A Conv whose one image's patch matrix is beyond `limits.maxTensorElements` runs in slabs of
/// output rows (each the same window with the padding before moved by the slab's start). With
/// a limit that makes slabs of one or two rows, it answers what it answers in one piece, over
/// the block-copy path, the row-by-row path (strides), 3-D windows, dilations, groups, SAME
/// padding and a fused bias and Relu. A 3×3 conv over 32 channels at 512×512 (patches of 75 M
/// elements, an output of 262 Ki) was refused at the default limit before the slabs.
@Suite struct ConvSlabTests {
    struct Case: Sendable {
        var x: [Int]
        var w: [Int]
        var ints: [String: [Int]] = [:]
        var group = 1
        var autoPad: String?
        var bias = false
        var relu = false
        /// Small enough that one image's patches need slabs, large enough for every tensor.
        var limit: Int
    }

    static let cases: [Case] = [
        Case(x: [2, 4, 9, 7], w: [3, 4, 3, 3], ints: ["pads": [1, 1, 1, 1]], bias: true, relu: true, limit: 600),
        Case(x: [1, 4, 9, 8], w: [2, 4, 3, 3], ints: ["pads": [1, 0, 1, 0], "strides": [2, 2]], limit: 500),
        Case(x: [1, 2, 4, 5, 6], w: [2, 2, 2, 3, 3], ints: ["pads": [1, 1, 1, 1, 1, 1]], limit: 600),
        Case(x: [1, 4, 8, 8], w: [4, 2, 3, 3], ints: ["dilations": [2, 2], "pads": [2, 2, 2, 2]], group: 2, limit: 300),
        Case(x: [1, 3, 7, 7], w: [2, 3, 3, 3], ints: ["strides": [2, 2]], autoPad: "SAME_UPPER", limit: 250),
    ]

    static func values(_ count: Int, _ seed: Int) -> [Float] {
        (0..<count).map { Float(($0 * 7919 + seed) % 23) / 7 - 1.5 }
    }

    static func answer(_ c: Case, limits: ModelLimits) throws -> Tensor {
        var conv = ONNXGraph.node("Conv", c.bias ? ["x", "w", "b"] : ["x", "w"], ["y"], name: "conv", int: ["group": c.group], ints: c.ints)
        if let autoPad = c.autoPad {
            var a = Onnx_AttributeProto()
            a.name = "auto_pad"
            a.type = .string
            a.s = Data(autoPad.utf8)
            conv.attribute.append(a)
        }
        var nodes = [conv]
        if c.relu { nodes.append(ONNXGraph.node("Relu", ["y"], ["r"], name: "relu")) }
        var initializers = [ONNXGraph.floats("w", c.w, values(c.w.reduce(1, *), 5))]
        if c.bias { initializers.append(ONNXGraph.floats("b", [c.w[0]], values(c.w[0], 11))) }
        let backend = try ONNXGraph.backend(
            nodes, inputs: [ONNXGraph.value("x", c.x.map { $0 })], outputs: [c.relu ? "r" : "y"], initializers: initializers,
            limits: limits)
        let count = c.x.reduce(1, *)
        return try backend.infer([Tensor(unchecked: "x", shape: c.x, data: .fp32(values(count, 3)))])[0]
    }

    @Test(arguments: cases.indices)
    func slabsAnswerWhatOnePieceAnswers(_ index: Int) throws {
        let c = Self.cases[index]
        let whole = try Self.answer(c, limits: ModelLimits())
        let slabs = try Self.answer(c, limits: ONNXGraph.limits(c.limit))
        #expect(slabs.shape == whole.shape)
        guard case .fp32(let a) = slabs.data, case .fp32(let b) = whole.data, a.count == b.count else {
            Issue.record("answers differ: \(slabs.data) vs \(whole.data)")
            return
        }
        for (u, v) in zip(a, b) { #expect(abs(u - v) <= 1e-4 * max(1, abs(v)), "\(u) vs \(v)") }
    }
}
