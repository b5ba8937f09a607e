import Glibc
// The release (whole-module) build resolves `timespec` to the copy CoreFoundation re-exports
// once the module imports Foundation elsewhere; importing it here keeps its members visible
// (SE-0444) without moving this per-request call onto Foundation's `Date`.
import CoreFoundation

/// Calendar time for statistics (`last_inference`); durations use `MonotonicClock`.
enum WallClock {
    static func millisecondsSince1970() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
    }

    /// `millis` as RFC 3339 UTC with milliseconds, `2026-12-06T15:04:05.123Z`: the one way times
    /// are written (log lines, canary decisions), without a formatter object (one per log line
    /// would cost more than the rest of the line).
    static func rfc3339(millisecondsSince1970 millis: Int) -> String {
        var seconds = millis / 1000
        var t = tm()
        gmtime_r(&seconds, &t)
        var out = ""
        out.reserveCapacity(24)
        func digits(_ value: Int, _ count: Int) {
            var text = String(value)
            while text.count < count { text = "0" + text }
            out += text
        }
        digits(Int(t.tm_year) + 1900, 4); out += "-"; digits(Int(t.tm_mon) + 1, 2); out += "-"; digits(Int(t.tm_mday), 2)
        out += "T"; digits(Int(t.tm_hour), 2); out += ":"; digits(Int(t.tm_min), 2); out += ":"; digits(Int(t.tm_sec), 2)
        out += "."; digits(millis % 1000, 3); out += "Z"
        return out
    }
}
