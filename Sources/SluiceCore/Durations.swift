/// Duration text of the config files: `250ms`, `30s`, `2m`, `1h`, `100us` or a bare number of
/// seconds. Shared by `sluice.yaml` (server settings) and `routes.yaml` (canary intervals).
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
}
