/// Why a byte stream is not an acceptable HTTP/1.1 request (the size limits also refuse HTTP/2
/// streams). Each case knows its status; the connection answers it through the error contract
/// and, on HTTP/1.1, closes, since framing can't be trusted.
package enum HTTPParseError: HTTPResponseError, Equatable {
    case badRequestLine(String)
    case badHeader(String)
    case headersTooLarge(limit: Int)
    case bodyTooLarge(limit: Int)
    case badContentLength(String)
    case ambiguousFraming(String)
    case badChunk(String)
    case unsupportedTransferEncoding(String)
    case unsupportedVersion(String)
    case missingHost

    package var status: Int {
        switch self {
        case .badRequestLine, .badHeader, .badContentLength, .ambiguousFraming, .badChunk, .missingHost: 400
        case .headersTooLarge: 431
        case .bodyTooLarge: 413
        case .unsupportedTransferEncoding: 501
        case .unsupportedVersion: 505
        }
    }

    package var message: String {
        switch self {
        case .badRequestLine(let why): "malformed request line: \(why)"
        case .badHeader(let why): "malformed header: \(why)"
        case .headersTooLarge(let limit): "request headers exceed \(limit) bytes"
        case .bodyTooLarge(let limit): "request body exceeds \(limit) bytes"
        case .badContentLength(let why): "invalid Content-Length: \(why)"
        case .ambiguousFraming(let why): "ambiguous message framing: \(why)"
        case .badChunk(let why): "malformed chunked body: \(why)"
        case .unsupportedTransferEncoding(let te): "unsupported Transfer-Encoding '\(te)'"
        case .unsupportedVersion(let v): "unsupported HTTP version '\(v)'"
        case .missingHost: "HTTP/1.1 request without a Host header"
        }
    }
}
