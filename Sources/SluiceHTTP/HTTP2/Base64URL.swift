import Foundation

/// The base64url of RFC 4648 §5 without padding, as the `HTTP2-Settings` field carries it.
enum Base64URL {
    /// The bytes of `text`, or nil when it is not base64url.
    static func decode(_ text: String) -> [UInt8]? {
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        guard !standard.contains("=") else { return nil }
        if standard.count % 4 == 1 { return nil }
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: standard).map { Array($0) }
    }
}
