import SluiceCore
import SluiceHTTP
import SwiftProtobuf

/// Reading a call's one request message and answering one response message: the transport
/// (SluiceHTTP's gRPC framing) has already unframed and decompressed the body, and frames the
/// answer, adding `content-type` and the `grpc-status: 0` trailers. Any thread.
enum GRPCMessage {
    /// The request message of `request`. A body that is not a valid `M` is INVALID_ARGUMENT.
    static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, from request: Request) throws(ServingError) -> M {
        do {
            return try M(serializedBytes: request.body)
        } catch {
            throw .invalidInput("the request is not a valid \(M.protoMessageName) message: \(error)")
        }
    }

    /// A 200 answer carrying `message`. Serializing our own message fails only on a bug
    /// (a field swift-protobuf cannot write), which answers INTERNAL.
    static func answer(_ message: some SwiftProtobuf.Message) throws(ServingError) -> Response {
        do {
            return Response(status: 200, body: try message.serializedBytes())
        } catch {
            throw .backendFailure("cannot serialize \(type(of: message).protoMessageName): \(error)")
        }
    }

    /// A version field of a request: empty means none (the highest ready version, or all).
    static func version(_ text: String) -> Substring? {
        text.isEmpty ? nil : text[...]
    }
}

extension Inference_DataType {
    /// Triton's model-config type of a tensor datatype (`TYPE_STRING` for BYTES).
    init(_ datatype: DataType) {
        self = switch datatype {
        case .bool: .typeBool
        case .uint8: .typeUint8
        case .uint16: .typeUint16
        case .uint32: .typeUint32
        case .uint64: .typeUint64
        case .int8: .typeInt8
        case .int16: .typeInt16
        case .int32: .typeInt32
        case .int64: .typeInt64
        case .fp16: .typeFp16
        case .fp32: .typeFp32
        case .fp64: .typeFp64
        case .bytes: .typeString
        }
    }
}

extension Inference_ModelMetadataResponse.TensorMetadata {
    /// A tensor of the model's signature as `ModelMetadata` answers it (name, "FP32", shape).
    init(_ spec: TensorSpec) {
        self.init()
        name = spec.name
        datatype = spec.datatype.rawValue
        shape = spec.shape.map { Int64($0) }
    }
}
