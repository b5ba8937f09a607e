/// What the gRPC framing of a call can refuse before any method sees it (gRPC's PROTOCOL-HTTP2
/// document): a body that is not a sequence of length-prefixed messages, a compressed message
/// without a coding to read it, a coding we do not speak, a message larger than the body limit
/// once inflated.
package enum GRPCError: HTTPResponseError, Equatable {
    /// The body is not one whole length-prefixed message; `reason` says what is wrong.
    case malformed(String)
    /// The compressed message does not inflate with the call's `grpc-encoding`.
    case corrupt(encoding: String, reason: String)
    /// `grpc-encoding` names a coding other than gzip, deflate and identity.
    case unsupportedEncoding(String)
    /// The message is larger than `limits.max_body_bytes` once inflated.
    case messageTooLarge(limit: Int)

    package var status: Int {
        switch self {
        case .malformed, .corrupt: 400
        case .unsupportedEncoding: 415
        case .messageTooLarge: 413
        }
    }

    /// A broken frame is INTERNAL, as gRPC's own servers answer it; an unknown coding is
    /// UNIMPLEMENTED (the answer lists ours in `grpc-accept-encoding`).
    package var code: ErrorCode {
        switch self {
        case .malformed, .corrupt: .internal
        case .unsupportedEncoding: .unimplemented
        case .messageTooLarge: .resourceExhausted
        }
    }

    package var message: String {
        switch self {
        case .malformed(let reason): "malformed gRPC message: \(reason)"
        case .corrupt(let encoding, let reason): "the request message is not valid \(encoding): \(reason)"
        case .unsupportedEncoding(let encoding): "unsupported grpc-encoding '\(encoding)' (supported: \(GRPCFraming.acceptedEncodings))"
        case .messageTooLarge(let limit): "the request message exceeds \(limit) bytes once decompressed"
        }
    }
}
