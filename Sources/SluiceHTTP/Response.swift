import SluiceJSON

/// One HTTP response. The connection adds `Content-Length`, `Date` and `Connection`.
package struct Response: Sendable {
    package var status: Int
    package var headers: Headers
    package var body: [UInt8]
    /// The error this answer renders (`init(error:)`), kept for the log: never sent.
    package var failure: (any Error)?
    /// Fields sent after the body (HTTP/2 only: gRPC's `grpc-status`); empty for none.
    package var trailers = Headers()
    /// A gRPC answer (`ContentCoding.finishGRPC`): its `:status` on the wire is 200 whatever
    /// `status` says. `status` keeps the HTTP status its error stands for, which the counters,
    /// the logs and the canaries read.
    package var isGRPC = false
    /// Whose id the `x-request-id` field echoes: set by the exchange's bookkeeping
    /// (`Exchange.close`) and written by the serializers after the other fields, kept apart
    /// from `headers` so echoing it costs no string, no array growth and no field copy.
    var requestID: RequestContext?

    package init(status: Int, headers: Headers = Headers(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response; `body` must already be JSON.
    package static func json(_ status: Int, _ body: [UInt8], headers extra: Headers = Headers()) -> Response {
        var headers = extra
        headers.add(lowercased: "content-type", "application/json")
        return Response(status: status, headers: headers, body: body)
    }

    /// `{"error": message}`: the one error body of every endpoint. Only `init(error:)` calls
    /// it: everything else throws an `HTTPResponseError`.
    static func error(_ status: Int, _ message: String, headers: Headers = Headers()) -> Response {
        var w = JSONWriter(capacity: message.utf8.count + 16)
        w.object { w in
            w.key(literal: "error")
            w.string(message)
        }
        return json(status, w.bytes, headers: headers)
    }

    /// The reason phrase for the status line.
    package static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}
