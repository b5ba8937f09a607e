import SluiceCore
import SluiceHTTP

/// The media types an inference body may declare, for every protocol: JSON, the V2 binary
/// extension's octet-stream, and the two that `curl -d` and hand-written clients send by
/// default for what is JSON text. Called on the event loop, once per inference request.
enum BodyType {
    /// Static literals, compared through their bytes: a `String`'s UTF-8 view costs several
    /// times more per byte, and this runs on every inference request.
    static let acceptedTypes: [StaticString] = ["application/json", "application/octet-stream", "application/x-www-form-urlencoded", "text/plain"]

    /// No type, or one of `acceptedTypes`; anything else (multipart, XML, protobuf…) is 415.
    static func check(_ request: Request) throws(ServingError) {
        guard var type = request.headers["content-type"] else { return }
        // The media type before any parameters, compared case-insensitively in place: this runs
        // per request, so no lower-cased copy and no Foundation.
        let accepted = type.withUTF8 { bytes -> Bool in
            var end = bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.endIndex
            var start = bytes.startIndex
            while start < end, bytes[start] == 32 || bytes[start] == 9 { start += 1 }
            while end > start, bytes[end - 1] == 32 || bytes[end - 1] == 9 { end -= 1 }
            let bare = UnsafeBufferPointer(rebasing: bytes[start..<end])
            return acceptedTypes.contains { candidate in
                guard candidate.utf8CodeUnitCount == bare.count else { return false }
                let expected = UnsafeBufferPointer(start: candidate.utf8Start, count: candidate.utf8CodeUnitCount)
                for i in 0..<bare.count {
                    let b = bare[i]
                    guard expected[i] == (b >= 65 && b <= 90 ? b | 0x20 : b) else { return false }
                }
                return true
            }
        }
        if accepted { return }
        throw .unsupportedMediaType("Content-Type '\(type)' is not supported; send application/json (or application/octet-stream with \(V2BinaryHeader.name))")
    }

}
