/// Duration text of the config files and flags: `250ms`, `30s`, `2m`, `1h`, `100us` or a bare
/// number of seconds. Shared by `sluice.yaml`, `SLUICE_*`, the flags and `routes.yaml`.
package enum Durations {
    /// Seconds, or nil when `text` is not a finite, non-negative duration.
    package static func seconds(_ text: String) -> Double? {
        var s = Substring(text)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        let units: [(String, Double)] = [("ms", 0.001), ("us", 0.000001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            guard let n = Double(s.dropLast(suffix.count)), n >= 0, n.isFinite else { return nil }
            return n * scale
        }
        guard let n = Double(s), n >= 0, n.isFinite else { return nil }
        return n
    }

    /// `seconds` as the config files write it (`30s`, `250ms`, `100us`): the README's defaults.
    static func text(_ seconds: Double) -> String {
        for (suffix, scale) in [("s", 1.0), ("ms", 1e3), ("us", 1e6)] {
            let n = seconds * scale
            if n.rounded() == n, abs(n) < 1e15 { return "\(Int(n))\(suffix)" }
        }
        return "\(seconds)s"
    }
}

/// Size text of the config files: `16KiB`, `64MiB`, `1GiB`, `512KB`, `1MB` or a bare number of bytes.
enum Sizes {
    private static let units: [(String, Int)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1),
    ]

    /// Bytes, or nil when `text` is not a non-negative size that fits an `Int`.
    static func bytes(_ text: String) -> Int? {
        var s = Substring(text)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            var number = s.dropLast(suffix.count)
            while let l = number.last, l == " " || l == "\t" { number = number.dropLast() }
            guard let n = Int(number), n >= 0 else { return nil }
            let (bytes, overflow) = n.multipliedReportingOverflow(by: scale)
            return overflow ? nil : bytes
        }
        return Int(s)
    }

    /// `bytes` in the largest binary unit that divides it (`16KiB`, `64MiB`): the README's defaults.
    static func text(_ bytes: Int) -> String {
        for (suffix, scale) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes > 0 && bytes % scale == 0 {
            return "\(bytes / scale)\(suffix)"
        }
        return String(bytes)
    }
}
