import Glibc

/// The IMF-fixdate of RFC 9110 for the `Date` header, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
enum HTTPDate {
    static func now() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The `Date` header value of one loop, refreshed on its tick (the loop's clock resolution), so
/// an answer copies bytes instead of formatting the time. Confined to its loop: the loop's
/// context refreshes it, that loop's connections read it.
final class DateCache {
    private(set) var bytes = Array(HTTPDate.now().utf8)

    func refresh() {
        bytes = Array(HTTPDate.now().utf8)
    }
}
