import Foundation
@testable import SluiceBackends
import SluiceCore
import Testing

/// Issue 14, defects 3 and 9: shapes a request sends or makes an operator compute never trap the
/// process or take unbounded memory. Each case here trapped (an arithmetic overflow) or
/// allocated gigabytes before `limits.maxTensorElements` bounded every value of a workspace;
/// now it answers `.invalidInput` (400) naming the input or node and the limit.
@Suite struct ONNXHostileShapeTests {
    static func fixture(_ path: String) throws -> String {
        try ONNXFixtureTests.root().appendingPathComponent(path).path
    }

    /// The error `body` throws, which must be `.invalidInput` containing every phrase.
    static func expectRefusal(_ phrases: [String], _ body: () throws -> [Tensor]) {
        do {
            let answer = try body()
            Issue.record("answered \(answer.map(\.shape)) instead of refusing")
        } catch ServingError.invalidInput(let message) {
            for phrase in phrases { #expect(message.contains(phrase), "\(message)") }
        } catch {
            Issue.record("expected invalidInput, got \(error)")
        }
    }

    static func floats(_ name: String, _ shape: [Int]) -> Tensor {
        Tensor(unchecked: name, shape: shape, data: .fp32((0..<shape.reduce(1, *)).map { Float($0) }))
    }

    static func int64s(_ name: String, _ values: [Int64]) -> Tensor {
        Tensor(unchecked: name, shape: [values.count], data: .int64(values))
    }

    // hostile/dynamic_dims.onnx: Flatten, Transpose, GlobalAveragePool and a Slice by `steps`
    // of x [n, m, 4]; Flatten trapped first.
    @Test func aZeroElementInputWithHugeDimensionsIsRefusedNamingIt() throws {
        let backend = try Backends.standard.load(BackendLoadRequest(file: Self.fixture("hostile/dynamic_dims.onnx"), backend: "onnx"))
        let x = Tensor(unchecked: "x", shape: [0, 4_611_686_018_427_387_904, 4], data: .fp32([]))
        Self.expectRefusal(["input 'x'", "[0, 4611686018427387904, 4]", "limits.max_model_tensor_elements"]) {
            try backend.infer([x, Self.int64s("steps", [1])])
        }
        // The same model still answers a request that fits.
        let answer = try backend.infer([Self.floats("x", [1, 3, 4]), Self.int64s("steps", [2])])
        #expect(answer.map(\.shape) == [[1, 12], [4, 3, 1], [1, 3, 1], [1, 2, 4]])
        #expect(answer[3].data == .fp32([0, 1, 2, 3, 8, 9, 10, 11]))
    }

    @Test(arguments: [Int64.max, Int64.min, Int64(1 << 26) + 1])
    func aSliceStepFromTheRequestBeyondTheLimitIsRefused(_ step: Int64) throws {
        let backend = try Backends.standard.load(BackendLoadRequest(file: Self.fixture("hostile/dynamic_dims.onnx"), backend: "onnx"))
        Self.expectRefusal(["Slice 'slice'", "step \(step)", "limits.max_model_tensor_elements"]) {
            try backend.infer([Self.floats("x", [2, 3, 4]), Self.int64s("steps", [step])])
        }
    }

    /// Steps as long as the limit allows, and INT64 starts and ends, slice as the ONNX spec says.
    @Test func slicesWithExtremeStartsEndsAndStepsFollowTheSpec() throws {
        let backend = try ONNXGraph.backend(
            [ONNXGraph.node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"], name: "slice")],
            inputs: [ONNXGraph.value("x", [nil]), ONNXGraph.value("starts", [1], type: 7), ONNXGraph.value("ends", [1], type: 7),
                     ONNXGraph.value("steps", [1], type: 7)],
            outputs: ["y"], initializers: [ONNXGraph.int64s("axes", [0])])
        let x = Self.floats("x", [5])
        func slice(_ start: Int64, _ end: Int64, _ step: Int64) throws -> TensorData {
            try backend.infer([x, Self.int64s("starts", [start]), Self.int64s("ends", [end]), Self.int64s("steps", [step])])[0].data
        }
        let longest = Int64(ModelLimits().maxTensorElements)
        #expect(try slice(0, .max, longest) == .fp32([0]))
        #expect(try slice(.max, .min, -longest) == .fp32([4]))
        #expect(try slice(-1, .min, -2) == .fp32([4, 2, 0]))
        #expect(try slice(.min, .max, 2) == .fp32([0, 2, 4]))
        #expect(try slice(1, -1, 1) == .fp32([1, 2, 3]))
        #expect(try slice(.max, .max, 1) == .fp32([]))
    }

    /// A Reshape to a zero-element shape with huge dimensions, then the Flatten that trapped on it.
    @Test func anIntermediateWithHugeDimensionsIsRefusedNamingTheNode() throws {
        let backend = try ONNXGraph.backend(
            [ONNXGraph.node("Reshape", ["x", "shape"], ["r"], name: "reshape"),
             ONNXGraph.node("Flatten", ["r"], ["y"], name: "flatten", int: ["axis": 1])],
            inputs: [ONNXGraph.value("x", [nil]), ONNXGraph.value("shape", [3], type: 7)], outputs: ["y"])
        Self.expectRefusal(["Reshape 'reshape'", "[0, 4611686018427387904, 4]", "limits.max_model_tensor_elements"]) {
            try backend.infer([Self.floats("x", [0]), Self.int64s("shape", [0, 4_611_686_018_427_387_904, 4])])
        }
    }

    /// ConstantOfShape and Expand take their shape from the request: a few bytes asking for a
    /// gigabyte (and Expand's 2^28 elements were allowed before the limit, 2^26 by default).
    @Test func shapeDrivenOperatorsCannotAmplifyBeyondTheLimit() throws {
        let expand = try Backends.standard.load(BackendLoadRequest(file: Self.fixture("hostile/expand.onnx"), backend: "onnx"))
        Self.expectRefusal(["Expand 'expand'", "output shape [16384, 16384]", "67108864 elements"]) {
            try expand.infer([Self.floats("x", [1]), Self.int64s("shape", [16384, 16384])])
        }
        #expect(try expand.infer([Self.floats("x", [1]), Self.int64s("shape", [2, 3])])[0].shape == [2, 3])
        let fill = try ONNXGraph.backend(
            [ONNXGraph.node("ConstantOfShape", ["shape"], ["y"], name: "fill")],
            inputs: [ONNXGraph.value("shape", [nil], type: 7)], outputs: ["y"])
        Self.expectRefusal(["ConstantOfShape 'fill'", "limits.max_model_tensor_elements"]) {
            try fill.infer([Self.int64s("shape", [0, 4_611_686_018_427_387_904, 4])])
        }
        Self.expectRefusal(["ConstantOfShape 'fill'", "limits.max_model_tensor_elements"]) {
            try fill.infer([Self.int64s("shape", [1 << 20, 1 << 20])])
        }
    }

    /// The configured limit is the one applied, to broadcasts and products as to the rest.
    @Test func theConfiguredLimitBoundsEveryIntermediate() throws {
        let limits = ONNXGraph.limits(1000)
        let product = try ONNXGraph.backend(
            [ONNXGraph.node("MatMul", ["a", "b"], ["y"], name: "outer")],
            inputs: [ONNXGraph.value("a", [nil, 1]), ONNXGraph.value("b", [1, nil])], outputs: ["y"], limits: limits)
        Self.expectRefusal(["MatMul 'outer'", "output shape [40, 40]", "1000 elements"]) {
            try product.infer([Self.floats("a", [40, 1]), Self.floats("b", [1, 40])])
        }
        #expect(try product.infer([Self.floats("a", [30, 1]), Self.floats("b", [1, 30])])[0].shape == [30, 30])
        let sum = try ONNXGraph.backend(
            [ONNXGraph.node("Add", ["a", "b"], ["y"], name: "add")],
            inputs: [ONNXGraph.value("a", [nil, 1]), ONNXGraph.value("b", [1, nil])], outputs: ["y"], limits: limits)
        Self.expectRefusal(["Add 'add'", "output shape [40, 40]"]) {
            try sum.infer([Self.floats("a", [40, 1]), Self.floats("b", [1, 40])])
        }
        Self.expectRefusal(["input 'a'", "[1001, 1]"]) { try sum.infer([Self.floats("a", [1001, 1]), Self.floats("b", [1, 1])]) }
    }

    /// A Conv whose output fits but whose patch matrix (channels × taps × positions) does not is
    /// computed in slabs of output rows (`ConvSlabTests`); one whose single output row's
    /// patches do not is refused.
    @Test func aConvPatchMatrixBeyondTheLimitIsComputedInSlabs() throws {
        let backend = try ONNXGraph.backend(
            [ONNXGraph.node("Conv", ["x", "w"], ["y"], name: "conv")],
            inputs: [ONNXGraph.value("x", [1, 10, nil, nil])], outputs: ["y"],
            initializers: [ONNXGraph.floats("w", [1, 10, 3, 3], Array(repeating: 1, count: 90))], limits: ONNXGraph.limits(1000))
        Self.expectRefusal(["Conv 'conv'", "patch matrix of one output row", "[90, 18]"]) {
            try backend.infer([Self.floats("x", [1, 10, 3, 20])])
        }
        #expect(try backend.infer([Self.floats("x", [1, 10, 10, 10])])[0].shape == [1, 1, 8, 8])
        #expect(try backend.infer([Self.floats("x", [1, 10, 5, 5])])[0].shape == [1, 1, 3, 3])
    }

    /// Issue 14, defect 4: files that killed the server as they loaded or warmed up.
    @Test(arguments: [
        ("slice_step_int64_max.onnx", "step 9223372036854775807 is longer than a dimension may be"),
        ("slice_step_int64_min.onnx", "step -9223372036854775808 is longer than a dimension may be"),
        ("maxpool_kernel_2_31.onnx", "kernel_shape [2147483648, 2147483648]"),
    ])
    func hostileModelFilesFailToLoadNamingTheLimit(_ file: String, _ reason: String) throws {
        let error = #expect(throws: ServingError.self) {
            try Backends.standard.load(BackendLoadRequest(file: Self.fixture("bad/\(file)"), backend: "onnx"))
        }
        guard case .loadFailure(let message) = error else {
            Issue.record("expected loadFailure, got \(String(describing: error))")
            return
        }
        #expect(message.hasPrefix("\(file): node "), "\(message)")
        #expect(message.contains(reason), "\(message)")
        #expect(message.contains("limits.max_model_tensor_elements"), "\(message)")
    }

    /// Conv with pads of 100,000 loads, and its first run (warm-up's) is refused, not a 160 GB
    /// allocation.
    @Test func aConvPaddedToA160GBOutputIsRefusedWhenItRuns() throws {
        let backend = try Backends.standard.load(BackendLoadRequest(file: Self.fixture("bad/conv_pads_100000.onnx"), backend: "onnx"))
        Self.expectRefusal(["Conv 'conv'", "output shape [1, 1, 200004, 200004]", "limits.max_model_tensor_elements"]) {
            try backend.infer([Self.floats("x", [1, 1, 4, 4])])
        }
    }

    /// Sizes a model file gives, checked at load: an initializer and a tree ensemble's outputs.
    @Test func constantsAndTreeOutputsBeyondTheLimitFailTheLoad() throws {
        let limits = ONNXGraph.limits(10)
        #expect(throws: ServingError.loadFailure(
            "model.onnx: initializer 'w': shape [11] is beyond the 10 elements a tensor may have (limits.max_model_tensor_elements)")
        ) {
            try ONNXGraph.backend(
                [ONNXGraph.node("Add", ["x", "w"], ["y"], name: "add")], inputs: [ONNXGraph.value("x", [nil])],
                outputs: ["y"], initializers: [ONNXGraph.floats("w", [11], Array(repeating: 0, count: 11))], limits: limits)
        }
        var constant = ONNXGraph.node("Constant", [], ["c"], name: "c", ints: ["value_ints": Array(0..<11)])
        constant.attribute[0].type = .ints
        #expect(throws: ServingError.loadFailure(
            "model.onnx: node 'c' (Constant): value's shape [11] is beyond the 10 elements a tensor may have (limits.max_model_tensor_elements)")
        ) {
            try ONNXGraph.backend([constant], inputs: [], outputs: ["c"], limits: limits)
        }
        var trees = ONNXGraph.node(
            "TreeEnsembleRegressor", ["x"], ["y"], name: "trees", int: ["n_targets": 1 << 40],
            ints: ["nodes_treeids": [0], "nodes_nodeids": [0], "nodes_featureids": [0], "nodes_truenodeids": [0],
                   "nodes_falsenodeids": [0], "target_treeids": [0], "target_nodeids": [0], "target_ids": [0]])
        trees.domain = "ai.onnx.ml"
        var modes = Onnx_AttributeProto()
        modes.name = "nodes_modes"
        modes.type = .strings
        modes.strings = [Data("LEAF".utf8)]
        var values = Onnx_AttributeProto()
        values.name = "nodes_values"
        values.type = .floats
        values.floats = [0]
        var weights = values
        weights.name = "target_weights"
        trees.attribute += [modes, values, weights]
        let error = #expect(throws: ServingError.self) {
            try ONNXGraph.backend([trees], inputs: [ONNXGraph.value("x", [nil, 1])], outputs: ["y"], ml: true)
        }
        #expect("\(String(describing: error))".contains("1099511627776 outputs are beyond limits.max_model_tensor_elements"))
    }

    /// Add before opset 7 with broadcast=1 aligns B at `axis`, a number from the file: INT64_MAX
    /// overflowed `axis + B's rank` and trapped on the first request (warm-up's, as it loaded).
    @Test func aLegacyBroadcastAxisFromTheFileNeverTraps() throws {
        func add(axis: Int) throws -> ONNXBackend {
            try ONNXGraph.backend(
                [ONNXGraph.node("Add", ["a", "b"], ["y"], name: "add", int: ["axis": axis, "broadcast": 1])],
                inputs: [ONNXGraph.value("a", [2, 3]), ONNXGraph.value("b", [3])], outputs: ["y"], opset: 6)
        }
        let inputs = [Self.floats("a", [2, 3]), Self.floats("b", [3])]
        for axis in [Int.max, Int.min, 2] {
            Self.expectRefusal(["Add 'add'", "B [3] does not fit A [2, 3] at axis \(axis)"]) { try add(axis: axis).infer(inputs) }
        }
        #expect(try add(axis: 1).infer(inputs)[0].data == .fp32([0, 2, 4, 3, 5, 7]))
    }

    /// Softmax from opset 13 on a scalar, sent or constant (folded as the model loads): the
    /// dimensions after the axis were sliced from 1 on a rank-0 shape, which trapped.
    @Test func aSoftmaxOfAScalarNeverTraps() throws {
        let nodes = [ONNXGraph.node("Softmax", ["x"], ["y"], name: "softmax"), ONNXGraph.node("LogSoftmax", ["x"], ["z"], name: "log")]
        let sent = try ONNXGraph.backend(nodes, inputs: [ONNXGraph.value("x", [])], outputs: ["y", "z"])
        let answer = try sent.infer([Tensor(unchecked: "x", shape: [], data: .fp32([3]))])
        #expect(answer.map(\.shape) == [[], []])
        #expect(answer.map(\.data) == [.fp32([1]), .fp32([0])])
        let folded = try ONNXGraph.backend(nodes, inputs: [], outputs: ["y", "z"], initializers: [ONNXGraph.floats("x", [], [3])])
        #expect(try folded.infer([]).map(\.data) == [.fp32([1]), .fp32([0])])
    }

    /// A window whose dilated extent, (kernel − 1) × dilation + 1, is beyond the limit. With SAME
    /// padding nothing bounded it by the input, and the index arithmetic overflowed: MaxPool's on
    /// a 32 KB input, Conv's (weights of no elements) on an input of no elements.
    @Test func aDilatedWindowLongerThanTheLimitFailsTheLoad() throws {
        var autoPad = Onnx_AttributeProto()
        autoPad.name = "auto_pad"
        autoPad.type = .string
        autoPad.s = Data("SAME_UPPER".utf8)
        var pool = ONNXGraph.node("MaxPool", ["x"], ["y"], name: "pool", ints: ["dilations": [1 << 26, 1], "kernel_shape": [1 << 26, 1]])
        var conv = ONNXGraph.node("Conv", ["x", "w"], ["y"], name: "conv", ints: ["dilations": [1 << 26, 1]])
        pool.attribute.append(autoPad)
        conv.attribute.append(autoPad)
        let cases = [
            (pool, [], [1, 1, 1, 8192], 4_503_599_560_261_633),
            (conv, [ONNXGraph.floats("w", [0, 1, 1 << 20, 1], [])], [1, 1, 0, 1 << 20], 70_368_677_068_801),
        ]
        for (node, initializers, shape, extent) in cases {
            do {
                let backend = try ONNXGraph.backend(
                    [node], inputs: [ONNXGraph.value("x", [nil, nil, nil, nil])], outputs: ["y"], initializers: initializers)
                Issue.record("\(node.opType) loaded and answered \(try backend.infer([Self.floats("x", shape)]).map(\.shape))")
            } catch ServingError.loadFailure(let message) {
                #expect(message.contains("node '\(node.name)' (\(node.opType))"), "\(message)")
                #expect(message.contains("spans \(extent) elements"), "\(message)")
                #expect(message.contains("limits.max_model_tensor_elements (67108864)"), "\(message)")
            } catch {
                Issue.record("expected loadFailure, got \(error)")
            }
        }
    }

    /// An input a kernel always reads, or an output it always writes, that the file leaves out
    /// or names "": the kernel read or wrote value -1 (or past the outputs) and trapped on the
    /// first run, warm-up's as the model loaded.
    @Test func requiredInputsAndOutputsTheFileLeavesOutFailTheLoad() throws {
        var coefficients = Onnx_AttributeProto()
        coefficients.name = "coefficients"
        coefficients.type = .floats
        coefficients.floats = [1, -1, -1, 1]
        var classifier = ONNXGraph.node("LinearClassifier", ["x"], ["label"], name: "node", ints: ["classlabels_ints": [0, 1]])
        classifier.domain = "ai.onnx.ml"
        classifier.attribute.append(coefficients)
        let x = ONNXGraph.value("x", [nil, nil])
        let cases: [(Onnx_NodeProto, [Onnx_TensorProto], String)] = [
            (classifier, [], "(LinearClassifier): output 1 is required"),
            (ONNXGraph.node("Relu", ["x"], [], name: "node"), [], "(Relu): output 0 is required"),
            (ONNXGraph.node("Relu", ["x"], [""], name: "node"), [], "(Relu): output 0 is required"),
            (ONNXGraph.node("Conv", ["x", ""], ["y"], name: "node", ints: ["kernel_shape": [1]]), [], "(Conv): input 1 is required"),
            (ONNXGraph.node("Gemm", ["", "x"], ["y"], name: "node"), [], "(Gemm): input 0 is required"),
            (ONNXGraph.node("Slice", ["x", "", "ends"], ["y"], name: "node"), [ONNXGraph.int64s("ends", [1])], "(Slice): input 1 is required"),
        ]
        // The copy is an output when the node names none.
        let copy = ONNXGraph.node("Identity", ["x"], ["copy"], name: "copy")
        for (node, initializers, reason) in cases {
            do {
                let backend = try ONNXGraph.backend(
                    [node, copy], inputs: [x], outputs: ["copy"] + node.output.filter { !$0.isEmpty },
                    initializers: initializers, ml: true)
                Issue.record("\(node.opType) loaded and answered \(try backend.infer([Self.floats("x", [1, 2])]).map(\.shape))")
            } catch ServingError.loadFailure(let message) {
                #expect(message == "model.onnx: node 'node' \(reason)")
            } catch {
                Issue.record("expected loadFailure, got \(error)")
            }
        }
    }

    /// A Conv of zero channels whose group the file sets to 2^62: `channels % group` holds, and
    /// the loops over images and groups never ended. An empty output has nothing to compute.
    @Test func aConvWithAnEmptyOutputAnswersAtOnce() throws {
        let backend = try ONNXGraph.backend(
            [ONNXGraph.node("Conv", ["x", "w"], ["y"], name: "conv", int: ["group": 1 << 62])],
            inputs: [ONNXGraph.value("x", [nil, 0, 1, 1])], outputs: ["y"],
            initializers: [ONNXGraph.floats("w", [0, 0, 1, 1], [])])
        #expect(try backend.infer([Self.floats("x", [1, 0, 1, 1])])[0].shape == [1, 0, 1, 1])
    }
}
