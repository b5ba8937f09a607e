/// The one error contract (after Hummingbird's `HTTPResponseError`): every error a handler, a
/// connection or a lower layer can raise on a request's behalf knows the status it answers, the
/// text the client reads and any fields the answer must carry. Serving, routing, parsing, auth,
/// overload and coding errors all adopt it, and `Response(error:)` is the only place that turns
/// one into bytes — for HTTP/1.1 and HTTP/2 alike. A transport without HTTP statuses (gRPC)
/// reads `code`, which follows from the status unless the error says otherwise (an overload is a
/// 503 to HTTP but RESOURCE_EXHAUSTED to gRPC, where "no ready version" is UNAVAILABLE).
///
/// Each adopting type decides its statuses in one exhaustive `switch`, so a new case does not
/// compile until it has one.
package protocol HTTPResponseError: Error {
    /// The HTTP status of the answer (4xx the client's fault, 5xx ours).
    var status: Int { get }
    /// What the client reads in `{"error": …}`. Our own faults (500) say something generic
    /// here; the details stay in the error itself, which the server logs with the request id.
    var message: String { get }
    /// Fields the answer carries besides its body: `Retry-After`, `Allow`, `WWW-Authenticate`.
    var headers: Headers { get }
    /// What went wrong in the terms every transport shares.
    var code: ErrorCode { get }
}

extension HTTPResponseError {
    package var headers: Headers { Headers() }
    package var code: ErrorCode { ErrorCode(status: status) }
}

/// The canonical error codes of gRPC (google.rpc.Code), which the Open Inference Protocol's gRPC
/// service answers with; every `HTTPResponseError` has one.
package enum ErrorCode: Int, Sendable, CaseIterable {
    case cancelled = 1, unknown, invalidArgument, deadlineExceeded, notFound, alreadyExists, permissionDenied,
         resourceExhausted, failedPrecondition, aborted, outOfRange, unimplemented, `internal`, unavailable, dataLoss,
         unauthenticated

    /// The code an HTTP status stands for (the mapping of gRPC's HTTP/JSON transcoding, read
    /// backwards): 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404
    /// NOT_FOUND, 405/501/505 UNIMPLEMENTED, 408/504 DEADLINE_EXCEEDED, 409 FAILED_PRECONDITION,
    /// 413/429/431 RESOURCE_EXHAUSTED, 503 UNAVAILABLE; any other 4xx INVALID_ARGUMENT, any
    /// other 5xx INTERNAL.
    package init(status: Int) {
        switch status {
        case 401: self = .unauthenticated
        case 403: self = .permissionDenied
        case 404: self = .notFound
        case 405, 501, 505: self = .unimplemented
        case 408, 504: self = .deadlineExceeded
        case 409: self = .failedPrecondition
        case 413, 429, 431: self = .resourceExhausted
        case 503: self = .unavailable
        case 400..<500: self = .invalidArgument
        default: self = .internal
        }
    }
}

extension Response {
    /// What a client reads for one of our own faults, whose details go to the log only.
    package static let internalErrorMessage = "internal error while serving the request"

    /// The answer for `error`: its status, `{"error": message}` and its extra fields. An error
    /// outside the contract is one of our faults: a generic 500, the error kept in `failure` for
    /// the log. Any thread.
    package init(error: any Error) {
        if let error = error as? any HTTPResponseError {
            self = .error(error.status, error.message, headers: error.headers)
        } else {
            self = .error(500, Self.internalErrorMessage)
        }
        failure = error
    }
}

/// What the HTTP layer itself refuses once a request's framing is sound: no endpoint for the
/// path, a method the path does not take, a client too slow to send its head or body, an
/// HTTP/2 client sending more bodies at once than its connection may buffer.
package enum HTTPError: HTTPResponseError, Equatable {
    case notFound(path: String)
    /// `allowed` are the methods the path takes, in table order (the `Allow` field).
    case methodNotAllowed(method: String, path: String, allowed: [String])
    /// The head did not arrive within `limits.header_timeout`.
    case headerTimeout
    /// The body did not arrive within `limits.body_timeout`.
    case bodyTimeout
    /// The request bodies an HTTP/2 connection's streams are sending would together exceed
    /// `limit` bytes (`HTTPLimits.maxConnectionBodyBytes`).
    case connectionBodiesTooLarge(limit: Int)

    package var status: Int {
        switch self {
        case .notFound: 404
        case .methodNotAllowed: 405
        case .headerTimeout, .bodyTimeout: 408
        case .connectionBodiesTooLarge: 413
        }
    }

    package var message: String {
        switch self {
        case .notFound(let path): "no endpoint \(path)"
        case .methodNotAllowed(let method, let path, _): "\(method) is not allowed on \(path)"
        case .headerTimeout: "request headers not received within the header timeout"
        case .bodyTimeout: "request body not received within the body timeout"
        case .connectionBodiesTooLarge(let limit):
            "request bodies being received on this connection exceed \(limit) bytes together; send fewer at once"
        }
    }

    /// A path no endpoint serves is, to a gRPC client, a method the server does not implement.
    package var code: ErrorCode {
        switch self {
        case .notFound, .methodNotAllowed: .unimplemented
        case .headerTimeout, .bodyTimeout: .deadlineExceeded
        case .connectionBodiesTooLarge: .resourceExhausted
        }
    }

    package var headers: Headers {
        guard case .methodNotAllowed(_, _, let allowed) = self else { return Headers() }
        var headers = Headers()
        headers.add(lowercased: "allow", allowed.joined(separator: ", "))
        return headers
    }
}
