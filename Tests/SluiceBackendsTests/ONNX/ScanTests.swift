import Foundation
@testable import SluiceBackends
import SluiceCore
import Testing

/// Scan's graph attribute: nested bodies up to `GraphCompiler.maxSubgraphDepth`, and what a
/// model file may get wrong in them. (Its answers against onnxruntime: the scan_cumsum and
/// scan_cdist fixtures; ONNX's test_scan9_sum in the conformance test.)
@Suite struct ScanTests {
    /// A float value of unknown rank: nested bodies see a rank less at each level.
    static func anyFloat(_ name: String) -> Onnx_ValueInfoProto {
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = 1
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type.value = .tensorType(tensor)
        return v
    }

    /// `levels` Scans, each over the first axis of its `x`, the innermost body adding a scalar
    /// of x to the state: the state ends as its start plus the sum of x.
    static func nestedScan(levels: Int) -> Onnx_NodeProto {
        var node = ONNXGraph.node("Add", ["s_in", "x"], ["s_out"], name: "add")
        for level in 1...levels {
            var body = Onnx_GraphProto()
            body.name = "level\(level)"
            body.node = [node]
            body.input = [anyFloat("s_in"), anyFloat("x")]
            body.output = [anyFloat("s_out")]
            node = ONNXGraph.node("Scan", ["s_in", "x"], ["s_out"], name: "scan\(level)", int: ["num_scan_inputs": 1])
            var a = Onnx_AttributeProto()
            a.name = "body"
            a.type = .graph
            a.g = body
            node.attribute.append(a)
        }
        return node
    }

    static func backend(levels: Int) throws(ServingError) -> ONNXBackend {
        try ONNXGraph.backend(
            [nestedScan(levels: levels)], inputs: [ONNXGraph.value("s_in", []), ONNXGraph.value("x", Array(repeating: 2, count: levels))],
            outputs: ["s_out"], opset: 16)
    }

    @Test func scansNestedToTheDepthLimitRun() throws {
        let levels = GraphCompiler.maxSubgraphDepth
        let backend = try Self.backend(levels: levels)
        let count = 1 << levels
        let answer = try backend.infer([
            Tensor(unchecked: "s_in", shape: [], data: .fp32([1])),
            ONNXHostileShapeTests.floats("x", Array(repeating: 2, count: levels)),
        ])
        #expect(answer.first?.data == .fp32([1 + Float(count * (count - 1) / 2)]))
    }

    @Test func scansNestedDeeperThanTheLimitFailTheLoad() throws {
        let error = #expect(throws: ServingError.self) { try Self.backend(levels: GraphCompiler.maxSubgraphDepth + 1) }
        #expect("\(String(describing: error))".contains("graph attributes nest deeper than \(GraphCompiler.maxSubgraphDepth) levels"))
    }

    @Test func aBodyReadingTheEnclosingGraphFailsTheLoadNamingTheValue() throws {
        var node = Self.nestedScan(levels: 1)
        node.attribute[1].g.node[0].input = ["s_in", "outer"]
        let error = #expect(throws: ServingError.self) {
            try ONNXGraph.backend(
                [node, ONNXGraph.node("Identity", ["x"], ["outer"], name: "id")],
                inputs: [ONNXGraph.value("s_in", []), ONNXGraph.value("x", [2])], outputs: ["s_out"], opset: 16)
        }
        let message = "\(String(describing: error))"
        #expect(message.contains("node 'scan1' (Scan): attribute 'body'"), "\(message)")
        #expect(message.contains("reads 'outer'"), "\(message)")
    }

    @Test func scanInputsOfDifferentLengthsAreRefused() throws {
        var node = Self.nestedScan(levels: 1)
        node.input = ["s_in", "x", "y"]
        node.attribute = node.attribute.map { a in
            var a = a
            if a.name == "num_scan_inputs" { a.i = 2 }
            if a.name == "body" { a.g.input.append(Self.anyFloat("y")) }
            return a
        }
        let backend = try ONNXGraph.backend(
            [node], inputs: [ONNXGraph.value("s_in", []), ONNXGraph.value("x", [nil]), ONNXGraph.value("y", [nil])],
            outputs: ["s_out"], opset: 16)
        ONNXHostileShapeTests.expectRefusal(["Scan 'scan1'", "scan input 1 [3] has 3 steps along axis 0; the others have 2"]) {
            try backend.infer([
                Tensor(unchecked: "s_in", shape: [], data: .fp32([0])), ONNXHostileShapeTests.floats("x", [2]),
                ONNXHostileShapeTests.floats("y", [3]),
            ])
        }
    }

    /// A Scan's body runs in a workspace of its own, whose string table is not the graph's:
    /// string states, inputs or outputs fail the load.
    @Test func stringsInAScanFailTheLoad() throws {
        var node = ONNXGraph.node("Identity", ["s_in"], ["s_out"], name: "id")
        var body = Onnx_GraphProto()
        body.name = "strings"
        body.node = [node, ONNXGraph.node("Identity", ["x"], ["y"], name: "id2")]
        var text = Onnx_TypeProto.Tensor()
        text.elemType = 8
        func value(_ name: String, _ type: Onnx_TypeProto.Tensor) -> Onnx_ValueInfoProto {
            var v = Onnx_ValueInfoProto()
            v.name = name
            v.type.value = .tensorType(type)
            return v
        }
        body.input = [value("s_in", text), Self.anyFloat("x")]
        body.output = [value("s_out", text), Self.anyFloat("y")]
        node = ONNXGraph.node("Scan", ["s_in", "x"], ["s_out", "ys"], name: "scan", int: ["num_scan_inputs": 1])
        var a = Onnx_AttributeProto()
        a.name = "body"
        a.type = .graph
        a.g = body
        node.attribute.append(a)
        let error = #expect(throws: ServingError.self) {
            try ONNXGraph.backend(
                [node], inputs: [ONNXGraph.value("s_in", [], type: 8), ONNXGraph.value("x", [2])], outputs: ["s_out", "ys"],
                opset: 16)
        }
        #expect("\(String(describing: error))".contains("strings in a Scan"), "\(String(describing: error))")
    }
}
