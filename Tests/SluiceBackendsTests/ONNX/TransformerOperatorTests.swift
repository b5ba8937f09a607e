import Foundation
@testable import SluiceBackends
import SluiceCore
import Testing

/// Issue 18's operators beyond what ONNXFixtureTests checks against onnxruntime
/// (scripts/make_transformer_fixtures.py's `transformer_block` and `reductions`): an empty
/// batch, and request values that would make Range, TopK or Einsum trap or over-allocate.
@Suite struct TransformerOperatorTests {
    /// onnxruntime 1.23's Einsum dies of SIGFPE on an empty batch, so there is no reference to
    /// compare with: 0 rows answer every output with 0 rows and the rest of each shape.
    @Test(arguments: ["transformer_block", "reductions"])
    func anEmptyBatchAnswersEmptyOutputs(_ name: String) throws {
        try ONNXFixtureTests.expectAnEmptyBatchAnswersEmptyOutputs(name)
    }

    /// A one-node graph of `op` on request inputs named in `inputs` (int64 scalars or vectors
    /// unless `floatInputs` names them), at opset 20.
    static func graph(
        _ op: String, _ inputs: [String], outputs: [String], floatInputs: [String: [Int?]] = [:], equation: String? = nil,
        int: [String: Int] = [:]
    ) throws -> ONNXBackend {
        var node = ONNXGraph.node(op, inputs, outputs, name: op.lowercased(), int: int)
        if let equation {
            var a = Onnx_AttributeProto()
            a.name = "equation"
            a.type = .string
            a.s = Data(equation.utf8)
            node.attribute.append(a)
        }
        let values = inputs.map { name in
            floatInputs[name].map { ONNXGraph.value(name, $0) } ?? ONNXGraph.value(name, [nil], type: 7)
        }
        return try ONNXGraph.backend([node], inputs: values, outputs: outputs, opset: 20)
    }

    @Test func rangeCountsFollowTheSpecAndHugeOrEndlessRangesAreRefused() throws {
        let range = try Self.graph("Range", ["start", "limit", "delta"], outputs: ["y"])
        func run(_ start: Int64, _ limit: Int64, _ delta: Int64) throws -> [Tensor] {
            try range.infer([
                ONNXHostileShapeTests.int64s("start", [start]), ONNXHostileShapeTests.int64s("limit", [limit]),
                ONNXHostileShapeTests.int64s("delta", [delta]),
            ])
        }
        #expect(try run(10, 4, -3)[0].data == .int64([10, 7]))
        #expect(try run(0, 5, 2)[0].data == .int64([0, 2, 4]))
        #expect(try run(5, 0, 1)[0].shape == [0])
        // The last element is the largest int64 and the step after it is never taken.
        #expect(try run(.max - 2, .max, 2)[0].data == .int64([.max - 2]))
        ONNXHostileShapeTests.expectRefusal(["Range 'range'", "limits.max_model_tensor_elements"]) { try run(0, .max, 1) }
        ONNXHostileShapeTests.expectRefusal(["Range 'range'", "delta is 0"]) { try run(0, 1, 0) }
        ONNXHostileShapeTests.expectRefusal(["Range 'range'", "overflows"]) { try run(.min, .max, 1) }
        ONNXHostileShapeTests.expectRefusal(["Range 'range'", "overflows"]) { try run(.min, 0, -1) }
    }

    @Test func topKRefusesAKOutsideTheAxis() throws {
        let topK = try Self.graph("TopK", ["x", "k"], outputs: ["values", "indices"], floatInputs: ["x": [nil, nil]])
        let x = ONNXHostileShapeTests.floats("x", [2, 3])
        for k: Int64 in [4, -1, .max, .min] {
            ONNXHostileShapeTests.expectRefusal(["TopK 'topk'", "K \(k)"]) { try topK.infer([x, ONNXHostileShapeTests.int64s("k", [k])]) }
        }
        // x is [[0, 1, 2], [3, 4, 5]]: the two largest of each row, largest first.
        let answer = try topK.infer([x, ONNXHostileShapeTests.int64s("k", [2])])
        #expect(answer[0].data == .fp32([2, 1, 5, 4]))
        #expect(answer[1].data == .int64([2, 1, 2, 1]))
    }

    @Test func einsumRefusesOperandsWhoseLabelsDisagree() throws {
        let einsum = try Self.graph(
            "Einsum", ["a", "b"], outputs: ["y"], floatInputs: ["a": [nil, nil], "b": [nil, nil]], equation: "ij,jk->ik")
        ONNXHostileShapeTests.expectRefusal(["Einsum 'einsum'", "label j is 3 in one place and 4 in another"]) {
            try einsum.infer([ONNXHostileShapeTests.floats("a", [2, 3]), ONNXHostileShapeTests.floats("b", [4, 2])])
        }
        // [[0, 1, 2], [3, 4, 5]] · [[0, 1], [2, 3], [4, 5]]
        let answer = try einsum.infer([ONNXHostileShapeTests.floats("a", [2, 3]), ONNXHostileShapeTests.floats("b", [3, 2])])
        #expect(answer[0].data == .fp32([10, 13, 28, 40]))
    }

    @Test(arguments: [
        ("ij,jk,kl->il", "3 operands, the node 2 inputs"), ("i.j->ij", "'.' is not a letter"), ("ij->ii", "appears twice"), ("ij->k", "in no operand"),
        ("i...j...->ij", "'...' appears twice"), ("ij->...", "no operand has"),
    ])
    func malformedEinsumEquationsFailTheLoadSayingWhy(_ equation: String, _ reason: String) throws {
        let error = #expect(throws: ServingError.self) {
            try Self.graph("Einsum", ["a", "b"], outputs: ["y"], floatInputs: ["a": [nil, nil], "b": [nil, nil]], equation: equation)
        }
        guard case .loadFailure(let message) = error else {
            Issue.record("expected loadFailure, got \(String(describing: error))")
            return
        }
        #expect(message.contains("Einsum") && message.contains(reason), "\(message)")
    }
}
