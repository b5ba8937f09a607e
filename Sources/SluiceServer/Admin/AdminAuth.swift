import Dispatch
import Foundation
import SluiceCore
import SluiceHTTP

/// Bearer-token check of the admin and repository APIs (DESIGN §8 `admin.token_file`).
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

    /// nil when `request` may proceed, else the 401/403 answer.
    func check(_ request: Request) -> Response? {
        guard let token else {
            return .error(403, "the admin API is disabled: set admin.token_file in the server config")
        }
        var headers = Headers()
        headers.add("www-authenticate", "Bearer")
        guard let value = request.headers["authorization"], value.count > 7,
              value.prefix(7).lowercased() == "bearer "
        else { return .error(401, "missing bearer token (Authorization: Bearer <token>)", headers: headers) }
        guard Self.constantTimeEqual(Array(value.dropFirst(7).utf8), token) else {
            return .error(401, "wrong bearer token", headers: headers)
        }
        return nil
    }

    /// Checks the token on the loop, then runs `work` (which may block on files and loads) on a
    /// background queue and sends its answer: the shape of every admin handler.
    func guarded(_ request: Request, _ writer: ResponseWriter, _ work: @escaping @Sendable () -> Response) {
        if let refusal = check(request) {
            writer.send(refusal)
            return
        }
        DispatchQueue.global().async { writer.send(work()) }
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
