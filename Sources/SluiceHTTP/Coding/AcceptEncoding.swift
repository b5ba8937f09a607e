/// The content coding a response should use, from the request's `Accept-Encoding`
/// (RFC 9110 §12.5.3): q-values weigh each coding, `*` stands for the ones not named, q=0
/// excludes. gzip wins a tie with deflate. Pure; any thread.
enum AcceptEncoding {
    enum Choice: Equatable {
        case identity, gzip, deflate
    }

    /// What to send for `header`. No acceptable coding (or none named) means identity: RFC 9110
    /// allows an answer without a coding even when `identity;q=0` asks otherwise.
    static func choose(_ header: String) -> Choice {
        var gzip: Double?
        var deflate: Double?
        var star: Double?
        for item in header.split(separator: ",") {
            var parts = item.split(separator: ";").makeIterator()
            guard let rawName = parts.next() else { continue }
            var q = 1.0
            while let parameter = parts.next() {
                let p = trimmed(parameter)
                guard p.count > 2, p.first == "q" || p.first == "Q", p.dropFirst().first == "=" else { continue }
                q = Double(p.dropFirst(2)).map { min(1, max(0, $0)) } ?? 0
            }
            switch trimmed(rawName).lowercased() {
            case "gzip", "x-gzip": gzip = q
            case "deflate": deflate = q
            case "*": star = q
            default: break
            }
        }
        let g = gzip ?? star ?? 0
        let d = deflate ?? star ?? 0
        if g > 0 && g >= d { return .gzip }
        if d > 0 { return .deflate }
        return .identity
    }

    private static func trimmed(_ s: Substring) -> Substring {
        var s = s
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
