/// What a gRPC call's exchange carries from `open` to `close`: how its answer is coded.
package struct GRPCCall: Sendable {
    /// The coding of the request's message (`grpc-encoding`), which the answer's message uses
    /// too, as gRPC's own servers do; nil when the request's message was not compressed.
    var answerCoding: (name: String, framing: Zlib.Framing)?

    package init() {}
}

/// The gRPC side of the codings: a call's message is unframed and inflated before a method sees
/// it, under the same `limits.max_body_bytes` as a REST body once decoded, and an answer is
/// framed, compressed under the same `compression:` settings, and finished with its status in
/// trailers. A failed call is one HEADERS frame (gRPC's Trailers-Only answer). The answer keeps
/// the HTTP status its error stands for until the wire (`Response.isGRPC`), so statistics,
/// metrics, canaries and the access log read a gRPC failure as they read a REST one.
extension ContentCoding {
    package enum GRPCPreparation: Sendable {
        case proceed(GRPCCall)
        /// The framing was refused: answer this (already a gRPC answer).
        case reject(Response)
    }

    /// Replaces `request`'s body by its one message, inflated, and sets the context's deadline
    /// from `grpc-timeout` (taken at `now`, when the request was complete).
    package func prepareGRPC(_ request: inout Request, context: RequestContext, now: UInt64) -> GRPCPreparation {
        var call = GRPCCall()
        do throws(GRPCError) {
            if let timeout = request.headers["grpc-timeout"] {
                guard let nanos = GRPCFraming.timeoutNanos(timeout) else {
                    throw .malformed("grpc-timeout '\(timeout)' is not 1 to 8 digits and a unit (H, M, S, m, u, n)")
                }
                let (deadline, overflow) = now.addingReportingOverflow(nanos)
                if !overflow { context.deadline = deadline }
            }
            request.body = try message(of: request, call: &call)
        } catch {
            var answer = Response(error: error)
            finishGRPC(&answer, call: call)
            return .reject(answer)
        }
        return .proceed(call)
    }

    private func message(of request: Request, call: inout GRPCCall) throws(GRPCError) -> [UInt8] {
        let messages = try GRPCFraming.messages(in: request.body)
        guard messages.count == 1, let message = messages.first else {
            throw .malformed(messages.isEmpty ? "the call carries no request message" : "a unary call carries \(messages.count) request messages")
        }
        let bytes = Array(request.body[message.bytes])
        guard message.compressed else { return bytes }
        guard let encoding = request.headers["grpc-encoding"], encoding != "identity" else {
            throw .malformed("the message is marked compressed but the call names no grpc-encoding")
        }
        let framing: Zlib.Framing
        switch encoding {
        case "gzip": framing = .gzip
        case "deflate": framing = Self.looksLikeZlib(bytes) ? .zlib : .raw
        default: throw .unsupportedEncoding(encoding)
        }
        switch Zlib.inflate(bytes, framing, limit: maxBodyBytes) {
        case .success(let inflated):
            call.answerCoding = (encoding, framing == .gzip ? .gzip : .zlib)
            return inflated
        case .failure(.tooLarge):
            throw .messageTooLarge(limit: maxBodyBytes)
        case .failure(.corrupt(let reason)):
            throw .corrupt(encoding: encoding, reason: reason)
        }
    }

    /// Makes `response` a gRPC answer: a success's body becomes its framed message (compressed
    /// as `call` says when `compression:` would compress a REST body of that size) followed by
    /// `grpc-status: 0`; an error becomes `grpc-status` and `grpc-message` from its code and
    /// message, with no body. Any thread.
    package func finishGRPC(_ response: inout Response, call: GRPCCall) {
        var headers = Self.grpcHeaders
        if response.status == 200, response.failure == nil {
            let (framed, coding) = frameGRPC(response.body, call: call)
            if let coding { headers.add(lowercased: "grpc-encoding", coding) }
            response.body = framed
            response.trailers = Self.grpcStatusFields(of: response)
        } else {
            for (name, value) in Self.grpcStatusFields(of: response) { headers.add(lowercased: name, value) }
            response.body = []
        }
        for (name, value) in response.headers where name != "content-type" { headers.add(lowercased: name, value) }
        response.headers = headers
        response.isGRPC = true
    }

    /// `message` framed, compressed with the call's coding when that is worth it (the coding's
    /// name then, for `grpc-encoding`).
    func frameGRPC(_ message: [UInt8], call: GRPCCall) -> (body: [UInt8], coding: String?) {
        if let coding = call.answerCoding, message.count >= threshold,
           let smaller = Zlib.deflate(message, coding.framing, level: level), smaller.count < message.count {
            return (GRPCFraming.frame(smaller, compressed: true), coding.name)
        }
        return (GRPCFraming.frame(message, compressed: false), nil)
    }

    /// The head fields of every gRPC answer.
    static let grpcHeaders: Headers = {
        var headers = Headers()
        headers.add(lowercased: "content-type", "application/grpc")
        headers.add(lowercased: "grpc-accept-encoding", GRPCFraming.acceptedEncodings)
        return headers
    }()

    /// `grpc-status: 0`, built once: every successful call's trailers share it.
    static let grpcSuccessTrailers = Headers([("grpc-status", "0")])

    /// `grpc-status` (0 for a success, else the error's code) and, for an error, `grpc-message`
    /// (its message, percent-encoded).
    static func grpcStatusFields(of response: Response) -> Headers {
        guard response.status != 200 || response.failure != nil else { return grpcSuccessTrailers }
        var fields = Headers()
        let error = response.failure as? any HTTPResponseError
        let code = error?.code ?? ErrorCode(status: response.status)
        let text = error?.message ?? (response.failure == nil ? Response.reason(response.status) : Response.internalErrorMessage)
        fields.add(lowercased: "grpc-status", String(code.rawValue))
        fields.add(lowercased: "grpc-message", GRPCFraming.percentEncoded(text))
        return fields
    }

    /// A call that ends well without a message (a stream that sent none): Trailers-Only.
    static func emptyGRPCSuccess() -> Response {
        var answer = Response(status: 200)
        var headers = grpcHeaders
        headers.add(lowercased: "grpc-status", "0")
        answer.headers = headers
        answer.isGRPC = true
        return answer
    }
}
