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
}
