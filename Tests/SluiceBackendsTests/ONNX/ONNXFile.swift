import Foundation
import SluiceCore
@testable import SluiceBackends
import SwiftProtobuf

/// Reads pieces of ONNX files without building a backend: the operators a model uses and
/// serialized `TensorProto` files (ONNX's test data). Called by the conformance tests;
/// throws `ServingError.loadFailure` for unreadable or malformed files.
enum ONNXFile {
    /// The (domain, op type) of every node of the model's graph, in file order; the default
    /// domain is "".
    static func operators(_ path: String) throws(ServingError) -> [(domain: String, op: String)] {
        let (name, bytes) = try ModelFile.read(path)
        do {
            let model = try Onnx_ModelProto(serializedBytes: bytes)
            return model.graph.node.map { (domain: $0.domain == "ai.onnx" ? "" : $0.domain, op: $0.opType) }
        } catch {
            throw .loadFailure("\(name): not a valid ONNX model (\(error))")
        }
    }

    /// A serialized `TensorProto` as a tensor (named as in the file), for element types the
    /// backend runs; throws `.loadFailure` for the others.
    static func tensor(_ path: String) throws(ServingError) -> Tensor {
        let (name, bytes) = try ModelFile.read(path)
        let proto: Onnx_TensorProto
        do {
            proto = try Onnx_TensorProto(serializedBytes: bytes)
        } catch {
            throw .loadFailure("\(name): not a TensorProto (\(error))")
        }
        let c: Constant
        do { c = try Constant(proto: proto, limits: ModelLimits()) } catch { throw .loadFailure("\(name): \(error.reason)") }
        let data: TensorData
        switch c.type {
        case .float: data = .fp32(Array(c.elements(as: Float.self)))
        case .double: data = .fp64(Array(c.elements(as: Double.self)))
        case .int64: data = .int64(Array(c.elements(as: Int64.self)))
        case .int32: data = .int32(Array(c.elements(as: Int32.self)))
        case .bool: data = .bool(c.elements(as: UInt8.self).map { $0 != 0 })
        case .string: data = .bytes(c.strings)
        }
        return Tensor(unchecked: proto.name, shape: c.shape, data: data)
    }
}
