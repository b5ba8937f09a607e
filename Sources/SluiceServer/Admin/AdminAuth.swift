import Dispatch
import Foundation
import SluiceCore
import SluiceHTTP

/// Bearer-token check of the admin and repository APIs (README "Configuration" `admin.token_file`).
/// Without a configured token these APIs answer 403, so an unconfigured server cannot be
/// changed from the network; with one, a missing or wrong token answers 401.
/// Read once at start-up; `check` runs on event loops.
struct AdminAuth: Sendable {
    private let token: [UInt8]?

    /// Reads the token file (surrounding whitespace trimmed). Throws `ConfigError` when the file
    /// is named but unreadable or empty.
    init(tokenFile: String?) throws(ConfigError) {
        guard let tokenFile else {
            token = nil
            return
        }
        guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
            throw ConfigError(file: tokenFile, keyPath: "", reason: "cannot read the admin token file (admin.token_file)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw ConfigError(file: tokenFile, keyPath: "", reason: "the admin token file is empty")
        }
        token = Array(trimmed.utf8)
    }

    /// Throws `AuthError` unless `request` may proceed.
    func check(_ request: Request) throws(AuthError) {
        guard let token else { throw .disabled }
        guard let value = request.headers["authorization"], value.count > 7,
              value.prefix(7).lowercased() == "bearer "
        else { throw .missingToken }
        guard Self.constantTimeEqual(Array(value.dropFirst(7).utf8), token) else { throw .wrongToken }
    }

    /// Checks the token on the loop (a refusal is thrown to the endpoint's error boundary), then
    /// runs `work` (which may block on files and loads) on a background queue and sends its
    /// answer, or fails with what it throws: the shape of every admin handler.
    func guarded(_ request: Request, _ writer: ResponseWriter, _ work: @escaping @Sendable () throws -> Response) throws(AuthError) {
        try check(request)
        DispatchQueue.global().async {
            do { writer.send(try work()) } catch { writer.fail(error) }
        }
    }

    /// Compares without an early exit, so timing does not reveal how much of a guess was right.
    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}

/// Why the admin and repository APIs refuse a request.
enum AuthError: HTTPResponseError, Equatable {
    /// No `admin.token_file` is configured: nothing may change the server over the network.
    case disabled
    case missingToken
    case wrongToken

    var status: Int {
        switch self {
        case .disabled: 403
        case .missingToken, .wrongToken: 401
        }
    }

    var message: String {
        switch self {
        case .disabled: "the admin API is disabled: set admin.token_file in the server config"
        case .missingToken: "missing bearer token (Authorization: Bearer <token>)"
        case .wrongToken: "wrong bearer token"
        }
    }

    /// gRPC tells "who are you" from "not you": a missing token is UNAUTHENTICATED, a wrong one
    /// (HTTP answers both 401 with `WWW-Authenticate`) and a disabled API PERMISSION_DENIED.
    var code: ErrorCode {
        switch self {
        case .missingToken: .unauthenticated
        case .wrongToken, .disabled: .permissionDenied
        }
    }

    /// RFC 6750 §3: a 401 names the scheme the client should use.
    var headers: Headers {
        var headers = Headers()
        if status == 401 { headers.add(lowercased: "www-authenticate", "Bearer") }
        return headers
    }
}
