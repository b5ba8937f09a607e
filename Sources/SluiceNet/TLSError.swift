/// Why a TLS context could not be made from its files (start-up, SIGHUP reload) or why a
/// session failed. `file` names the certificate, key or CA file at fault when there is one.
package struct TLSError: Error, Sendable, CustomStringConvertible {
    package var file: String?
    package var reason: String

    package init(file: String? = nil, reason: String) {
        self.file = file
        self.reason = reason
    }

    package var description: String {
        if let file { return "\(file): \(reason)" }
        return reason
    }
}
