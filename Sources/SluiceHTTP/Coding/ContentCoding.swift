/// Content codings on the way in and out, in one place for every HTTP version: request bodies
/// with `Content-Encoding: gzip | deflate | identity` are decoded before the `Responder` sees
/// them (the body limit applies to the decoded size), and responses are compressed after it
/// when `Accept-Encoding` allows and the body is large enough.
///
/// Each connection calls `prepare` once per request before handing it to the responder, and
/// `finish` once per response before writing it, on its loop. Both start with a single test
/// that lets the usual request (no coding headers) and the usual answer (a small JSON body)
/// through untouched.
package struct ContentCoding: Sendable {
    /// `compression:` in the server config.
    package struct Settings: Sendable, Equatable {
        /// Compress responses at all.
        package var enabled = true
        /// Bodies smaller than this go out as they are (a small JSON answer gains nothing).
        package var minBytes = 1024
        /// zlib level, 1 (fastest) … 9 (smallest).
        package var level = 1

        package init() {}
    }

    /// What `prepare` decided.
    package enum Preparation: Sendable {
        /// Hand the (possibly decoded) request on; answer with this `Accept-Encoding` in mind.
        case proceed(acceptEncoding: String?)
        /// Answer this instead (415 unknown coding, 413 decoded body too large, 400 corrupt).
        case reject(Response)
    }

    let level: Int32
    let maxBodyBytes: Int
    /// The smallest body `finish` considers; `Int.max` with compression off.
    let threshold: Int

    package init(settings: Settings, maxBodyBytes: Int) {
        level = Int32(min(9, max(1, settings.level)))
        self.maxBodyBytes = maxBodyBytes
        threshold = settings.enabled ? max(0, settings.minBytes) : Int.max
    }

    /// The request side. Decodes the body in place and drops `Content-Encoding`; returns the
    /// request's `Accept-Encoding` for `finish`, or the error answer.
    @inline(__always)
    package func prepare(_ request: inout Request) -> Preparation {
        guard request.mentionsCoding else { return .proceed(acceptEncoding: nil) }
        return decode(&request)
    }

    /// The response side: compresses with the coding `acceptEncoding` prefers and marks
    /// `Vary: Accept-Encoding` on every answer that could have been compressed.
    @inline(__always)
    package func finish(_ response: inout Response, acceptEncoding: String?) {
        guard response.body.count >= threshold else { return }
        encode(&response, acceptEncoding: acceptEncoding)
    }

    private func decode(_ request: inout Request) -> Preparation {
        let accept = request.headers["accept-encoding"]
        let codings = request.headers.values("content-encoding").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters().lowercased() }.filter { !$0.isEmpty }
        guard !codings.isEmpty else { return .proceed(acceptEncoding: accept) }
        var body = request.body
        // Codings are listed in the order they were applied: undo them last to first.
        for coding in codings.reversed() {
            let framing: Zlib.Framing
            switch coding {
            case "identity": continue
            case "gzip", "x-gzip": framing = .gzip
            case "deflate": framing = Self.looksLikeZlib(body) ? .zlib : .raw
            default:
                return .reject(Response(error: ContentCodingError.unsupported(coding)))
            }
            switch Zlib.inflate(body, framing, limit: maxBodyBytes) {
            case .success(let decoded): body = decoded
            case .failure(.tooLarge):
                return .reject(Response(error: ContentCodingError.tooLarge(limit: maxBodyBytes, coding: coding)))
            case .failure(.corrupt(let reason)):
                return .reject(Response(error: ContentCodingError.corrupt(coding: coding, reason: reason)))
            }
        }
        request.body = body
        request.headers.remove("content-encoding")
        request.headers.set("content-length", String(body.count))
        return .proceed(acceptEncoding: accept)
    }

    private func encode(_ response: inout Response, acceptEncoding: String?) {
        // 1xx, 204 and 304 carry no body to code; an answer already coded is left alone.
        guard response.status >= 200, response.status != 204, response.status != 304,
              response.headers["content-encoding"] == nil
        else { return }
        response.headers.add("vary", "Accept-Encoding")
        guard let acceptEncoding else { return }
        let coding: (name: String, framing: Zlib.Framing)
        switch AcceptEncoding.choose(acceptEncoding) {
        case .identity: return
        case .gzip: coding = ("gzip", .gzip)
        case .deflate: coding = ("deflate", .zlib)
        }
        guard let compressed = Zlib.deflate(response.body, coding.framing, level: level),
              compressed.count < response.body.count
        else { return }
        response.body = compressed
        response.headers.add("content-encoding", coding.name)
    }

    /// An RFC 1950 header: compression method 8 and a check value divisible by 31.
    static func looksLikeZlib(_ body: [UInt8]) -> Bool {
        body.count >= 2 && body[0] & 0x0F == 8 && (UInt16(body[0]) << 8 | UInt16(body[1])) % 31 == 0
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters() -> Substring {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}

/// Why a request body's `Content-Encoding` cannot be undone.
package enum ContentCodingError: HTTPResponseError, Equatable {
    /// A coding other than gzip, deflate or identity.
    case unsupported(String)
    /// The decoded body would exceed `limits.max_body_bytes`.
    case tooLarge(limit: Int, coding: String)
    /// The bytes are not valid in the coding they claim.
    case corrupt(coding: String, reason: String)

    package var status: Int {
        switch self {
        case .unsupported: 415
        case .tooLarge: 413
        case .corrupt: 400
        }
    }

    package var message: String {
        switch self {
        case .unsupported(let coding): "unsupported Content-Encoding '\(coding)' (supported: gzip, deflate, identity)"
        case .tooLarge(let limit, let coding): "request body exceeds \(limit) bytes once decompressed (\(coding))"
        case .corrupt(let coding, let reason): "request body is not valid \(coding): \(reason)"
        }
    }
}
