/// One HTTP request, whole: head and body, whichever protocol version carried it.
/// Built by the connection on its event loop and handed to a `Responder`; a value, safe to
/// pass to a worker thread.
package struct Request: Sendable {
    package var method: String
    /// The request target as sent, e.g. `/v2/models/fraud/infer?x=1`.
    package var target: String
    /// The path of `target`, percent-decoding not applied.
    package var path: Substring {
        // Searched in the contiguous UTF-8 (every target the parsers make): the UTF-8 view's
        // generic search costs several times more, once per request.
        let found = target.utf8.withContiguousStorageIfAvailable { $0.firstIndex(of: UInt8(ascii: "?")) }
        let q: String.Index?
        if let found {
            q = found.map { target.utf8.index(target.utf8.startIndex, offsetBy: $0) }
        } else {
            q = target.utf8.firstIndex(of: UInt8(ascii: "?"))
        }
        guard let q else { return target[...] }
        return target[..<q]
    }
    package var headers: Headers
    package var body: [UInt8]
    /// HTTP minor version: 0 or 1.
    package var minorVersion: Int
    /// Whether the connection stays open after the answer (per version and `Connection:`).
    package var keepAlive: Bool
    /// Set by the HTTP/1.1 parser when `Upgrade:` offers `h2c` (RFC 7540 §3.2); the connection
    /// decides whether to switch.
    var wantsH2c = false
    /// Whether the head has `Content-Encoding` or `Accept-Encoding`: the one test
    /// `ContentCoding.prepare` makes before looking further.
    package var mentionsCoding: Bool
    /// Whether the head has `X-Request-Id` or `traceparent`: the one test `RequestContext`
    /// makes before looking for the client's request id.
    package var mentionsRequestID: Bool
    /// A gRPC call: an HTTP/2 request whose `content-type` is `application/grpc` or one of its
    /// `+format` / `;parameter` forms. Its body is the call's one message, unframed
    /// (`GRPCFraming`), and it goes to the responder's gRPC methods rather than the REST table.
    package var isGRPC = false

    /// `mentionsCoding` and `mentionsRequestID` nil: found out from `headers` (an HTTP/2 stream,
    /// a test); the HTTP/1.1 parser knows them already from the bytes and passes them.
    package init(
        method: String, target: String, headers: Headers = Headers(), body: [UInt8] = [], minorVersion: Int = 1,
        keepAlive: Bool = true, mentionsCoding: Bool? = nil, mentionsRequestID: Bool? = nil
    ) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.minorVersion = minorVersion
        self.keepAlive = keepAlive
        self.mentionsCoding = mentionsCoding ?? (headers["content-encoding"] != nil || headers["accept-encoding"] != nil)
        self.mentionsRequestID = mentionsRequestID ?? (headers["x-request-id"] != nil || headers["traceparent"] != nil)
    }
}
