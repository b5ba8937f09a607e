import CLinux
import Glibc

/// Nanoseconds since an arbitrary point, never going backwards; used for timeouts and durations.
package enum MonotonicClock {
    @inline(__always)
    package static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
