import Foundation
@testable import SluiceBackends
import SluiceCore
import Testing

/// FP64 models (scripts/make_double_fixtures.py: skl2onnx exports with DoubleTensorType): they
/// compute in double and answer in the model's declared types, as onnxruntime does, for 8, 1 and
/// 0 rows; other element types are converted into an FP64 input; an operator that runs only in
/// FP32 refuses the model with the fix.
@Suite struct ONNXDoubleTests {
    static let cases = ONNXFixtureTests.cases.filter { $0.hasSuffix("_double") }

    /// The first `rows` rows of the fixture's input and of each expected output.
    static func rows(
        _ fixture: ONNXFixtureTests.Fixture, _ rows: Int
    ) throws -> (Tensor, [String: (shape: [Int], datatype: String, data: [Double])]) {
        guard case .fp64(let values) = fixture.input.data else { throw ServingError.invalidInput("not an FP64 fixture") }
        let width = values.count / fixture.input.shape[0]
        let input = try Tensor(
            name: fixture.input.name, shape: [rows] + fixture.input.shape.dropFirst(), data: .fp64(Array(values[0..<rows * width])))
        var outputs = fixture.outputs
        for (name, o) in fixture.outputs {
            let w = o.data.count / o.shape[0]
            outputs[name] = ([rows] + o.shape.dropFirst(), o.datatype, Array(o.data[0..<rows * w]))
        }
        return (input, outputs)
    }

    @Test(arguments: cases, [8, 1, 0])
    func anFP64ModelAnswersInFP64AsOnnxruntimeDid(_ name: String, _ rows: Int) throws {
        let fixture = try ONNXFixtureTests.Fixture(name)
        #expect(fixture.rtol <= (name.hasPrefix("random_forest") ? 1e-6 : 1e-12))
        let backend = try ONNXFixtureTests.load(name)
        #expect(backend.inputs.map(\.datatype) == [.fp64])
        let (input, expected) = try Self.rows(fixture, rows)
        let outputs = try backend.infer([input])
        #expect(outputs.map(\.name) == fixture.outputNames)
        for output in outputs {
            let want = try #require(expected[output.name])
            #expect(output.shape == want.shape, "\(name) \(output.name)")
            #expect(output.datatype.rawValue == want.datatype, "\(name) \(output.name)")
            #expect(backend.outputs.first { $0.name == output.name }?.datatype == output.datatype)
            let got = try #require(output.doubleValues())
            try #require(got.count == want.data.count)
            for (i, (g, w)) in zip(got, want.data).enumerated() {
                #expect(abs(g - w) <= fixture.rtol * max(abs(w), 1), "\(name) \(output.name)[\(i)]: \(g) vs \(w)")
            }
        }
    }

    /// An FP32 or INT64 request for an FP64 input is converted exactly (every FP32 and every
    /// integer up to 2^53 is a double), so it answers as the same values sent as FP64.
    @Test func otherNumericTypesAreConvertedIntoAnFP64Input() throws {
        let backend = try ONNXFixtureTests.load("linear_regression_double")
        let name = backend.inputs[0].name
        let integers: [Int64] = [1 << 40 + 1, -3, 0, 7, 9_007_199_254_740_993 >> 1, 12]
        let floats: [Float] = [0.1, -2.5, 1e-20, 3e30, 16_777_215, -0.75]
        for (data, doubles) in [
            (TensorData.int64(integers), integers.map { Double($0) }), (TensorData.fp32(floats), floats.map { Double($0) }),
        ] {
            let converted = try backend.infer([Tensor(name: name, shape: [1, 6], data: data)])
            let direct = try backend.infer([Tensor(name: name, shape: [1, 6], data: .fp64(doubles))])
            #expect(converted == direct)
            #expect(converted.first?.datatype == .fp64)
        }
    }

    /// A double value through Conv, which computes only in FP32: the load fails naming the node
    /// and the fix, instead of computing in the wrong precision.
    @Test func anOperatorThatRunsOnlyInFP32RefusesAnFP64ModelWithTheFix() throws {
        var weights = Onnx_TensorProto()
        weights.name = "w"
        weights.dataType = 11
        weights.dims = [1, 1, 1, 1]
        weights.doubleData = [2]
        let error = #expect(throws: ServingError.self) {
            try ONNXGraph.backend(
                [ONNXGraph.node("Conv", ["x", "w"], ["y"], name: "conv")],
                inputs: [ONNXGraph.value("x", [1, 1, 2, 2], type: 11)], outputs: ["y"], initializers: [weights])
        }
        guard case .loadFailure(let message) = error else {
            Issue.record("expected loadFailure, got \(String(describing: error))")
            return
        }
        #expect(message.contains("node 'conv' (Conv): operator Conv does not run in FP64; re-export with FloatTensorType"), "\(message)")
    }

    /// A tree ensemble with double thresholds (`nodes_values_as_tensor`) is refused the same way:
    /// the shared evaluator walks FP32 thresholds.
    @Test func aTreeEnsembleWithDoubleThresholdsRefusesWithTheFix() throws {
        var tree = ONNXGraph.node(
            "TreeEnsembleRegressor", ["x"], ["y"], name: "trees",
            ints: ["nodes_treeids": [0], "nodes_nodeids": [0], "nodes_featureids": [0], "nodes_truenodeids": [0],
                   "nodes_falsenodeids": [0], "target_treeids": [0], "target_nodeids": [0], "target_ids": [0]])
        tree.domain = "ai.onnx.ml"
        var values = Onnx_AttributeProto()
        values.name = "nodes_values_as_tensor"
        values.type = .tensor
        values.t.dataType = 11
        values.t.dims = [1]
        values.t.doubleData = [0.5]
        tree.attribute.append(values)
        let error = #expect(throws: ServingError.self) {
            try ONNXGraph.backend([tree], inputs: [ONNXGraph.value("x", [nil, 1], type: 11)], outputs: ["y"], ml: true)
        }
        #expect("\(String(describing: error))".contains(
            "node 'trees' (TreeEnsembleRegressor): operator ai.onnx.ml.TreeEnsembleRegressor does not run in FP64; re-export with FloatTensorType"))
    }

    /// skl2onnx's DoubleTensorType tree regressors: FP32 tree attributes, so the node answers FP32,
    /// but the graph declares its output FP64. onnxruntime refuses them; so does Sluice, rather
    /// than answer in a type the model does not declare.
    @Test func anOutputDeclaredFP64ThatANodeComputesInFP32IsRefused() throws {
        var tree = ONNXGraph.node(
            "TreeEnsembleRegressor", ["x"], ["y"], name: "trees",
            ints: ["nodes_treeids": [0], "nodes_nodeids": [0], "nodes_featureids": [0], "nodes_truenodeids": [0],
                   "nodes_falsenodeids": [0], "target_treeids": [0], "target_nodeids": [0], "target_ids": [0]])
        tree.domain = "ai.onnx.ml"
        for (name, values) in [("nodes_values", [Float(0)]), ("target_weights", [Float(1.5)])] {
            var a = Onnx_AttributeProto()
            a.name = name
            a.type = .floats
            a.floats = values
            tree.attribute.append(a)
        }
        var modes = Onnx_AttributeProto()
        modes.name = "nodes_modes"
        modes.type = .strings
        modes.strings = [Data("LEAF".utf8)]
        tree.attribute.append(modes)
        var model = Onnx_ModelProto()
        model.irVersion = 8
        model.opsetImport = [Onnx_OperatorSetIdProto(), Onnx_OperatorSetIdProto()]
        model.opsetImport[0].version = 13
        model.opsetImport[1].domain = "ai.onnx.ml"
        model.opsetImport[1].version = 1
        model.graph.node = [tree]
        model.graph.input = [ONNXGraph.value("x", [nil, 1], type: 11)]
        model.graph.output = [ONNXGraph.value("y", [nil, 1], type: 11)]
        let error = #expect(throws: ServingError.self) { try GraphCompiler.compile(model, file: "model.onnx") }
        #expect("\(String(describing: error))".contains(
            "graph output 'y' is declared double, but its node computes float; re-export with FloatTensorType"))
        // Declared FP32, as the node computes, it loads.
        model.graph.output = [ONNXGraph.value("y", [nil, 1], type: 1)]
        #expect(try GraphCompiler.compile(model, file: "model.onnx").outputs.map(\.type) == [.float])
    }

    /// Gemm, the element-wise functions, Clip and Softmax in FP64 keep digits FP32 would lose:
    /// 1 + 2^-40 survives every step (in FP32 it is 1).
    @Test func doubleArithmeticKeepsDigitsFP32Loses() throws {
        var b = Onnx_TensorProto()
        b.name = "b"
        b.dataType = 11
        b.dims = [2, 2]
        b.doubleData = [1, 0, 0, 1]
        let backend = try ONNXGraph.backend(
            [ONNXGraph.node("Gemm", ["x", "b"], ["g"], name: "gemm"),
             ONNXGraph.node("Abs", ["g"], ["a"], name: "abs"),
             ONNXGraph.node("Clip", ["a"], ["c"], name: "clip"),
             ONNXGraph.node("Max", ["c", "a"], ["y"], name: "max"),
             ONNXGraph.node("Softmax", ["y"], ["s"], name: "softmax")],
            inputs: [ONNXGraph.value("x", [nil, 2], type: 11)], outputs: ["y", "s"], initializers: [b])
        let tiny = 0x1p-40
        let x: [Double] = [1 + tiny, -1, 3, 3 + 4 * tiny]
        let out = try backend.infer([Tensor(name: "x", shape: [2, 2], data: .fp64(x))])
        #expect(out[0] == Tensor(unchecked: "y", shape: [2, 2], data: .fp64([1 + tiny, 1, 3, 3 + 4 * tiny])))
        guard case .fp64(let s) = out[1].data else {
            Issue.record("softmax answered \(out[1].datatype)")
            return
        }
        // softmax([1 + t, 1])[0] = 1 / (1 + e^-t) ≈ 1/2 + t/4.
        #expect(abs(s[0] - (0.5 + tiny / 4)) < 1e-16)
        #expect(abs(s[2] - (0.5 - tiny)) < 1e-16)
    }
}
