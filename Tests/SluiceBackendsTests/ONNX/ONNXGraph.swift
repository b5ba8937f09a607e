@testable import SluiceBackends
import SluiceCore

/// Small ONNX graphs built in the test, for operators fed shapes no exporter writes: nodes,
/// graph inputs with symbolic dimensions, int64 initializers. Compiled with the given limits.
enum ONNXGraph {
    /// A node; `ints` become INTS attributes (`int` INT ones).
    static func node(
        _ op: String, _ inputs: [String], _ outputs: [String], name: String, int: [String: Int] = [:],
        ints: [String: [Int]] = [:]
    ) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = name
        n.input = inputs
        n.output = outputs
        for (key, v) in int.sorted(by: { $0.key < $1.key }) {
            var a = Onnx_AttributeProto()
            a.name = key
            a.type = .int
            a.i = Int64(v)
            n.attribute.append(a)
        }
        for (key, v) in ints.sorted(by: { $0.key < $1.key }) {
            var a = Onnx_AttributeProto()
            a.name = key
            a.type = .ints
            a.ints = v.map { Int64($0) }
            n.attribute.append(a)
        }
        return n
    }

    /// A graph input or output of element type `type` (ONNX's number: 1 float, 7 int64); a nil
    /// dimension is symbolic.
    static func value(_ name: String, _ dims: [Int?], type: Int32 = 1) -> Onnx_ValueInfoProto {
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = type
        tensor.shape.dim = dims.enumerated().map { i, d in
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.value = d.map { .dimValue(Int64($0)) } ?? .dimParam("d\(i)")
            return dim
        }
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type.value = .tensorType(tensor)
        return v
    }

    static func int64s(_ name: String, _ values: [Int64]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = 7
        t.dims = [Int64(values.count)]
        t.int64Data = values
        return t
    }

    static func floats(_ name: String, _ dims: [Int], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = 1
        t.dims = dims.map { Int64($0) }
        t.floatData = values
        return t
    }

    /// The graph as a backend (`opset` of the default domain, and ai.onnx.ml 3 when `ml`).
    static func backend(
        _ nodes: [Onnx_NodeProto], inputs: [Onnx_ValueInfoProto], outputs: [String],
        initializers: [Onnx_TensorProto] = [], limits: ModelLimits = ModelLimits(), ml: Bool = false, opset version: Int64 = 13
    ) throws(ServingError) -> ONNXBackend {
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.version = version
        model.opsetImport = [opset]
        if ml {
            var mlOpset = Onnx_OperatorSetIdProto()
            mlOpset.domain = "ai.onnx.ml"
            mlOpset.version = 3
            model.opsetImport.append(mlOpset)
        }
        model.graph.node = nodes
        model.graph.input = inputs
        model.graph.output = outputs.map { var v = Onnx_ValueInfoProto(); v.name = $0; return v }
        model.graph.initializer = initializers
        return try ONNXBackend(
            plan: GraphCompiler.compile(model, file: "model.onnx", limits: limits),
            request: BackendLoadRequest(file: "model.onnx", backend: "onnx", limits: limits), fileName: "model.onnx")
    }

    /// Limits with `elements` as the tensor bound.
    static func limits(_ elements: Int) -> ModelLimits {
        var limits = ModelLimits()
        limits.maxTensorElements = elements
        return limits
    }
}
