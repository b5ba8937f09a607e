import Glibc

/// Calendar time for statistics (`last_inference`); durations use `MonotonicClock`.
enum WallClock {
    static func millisecondsSince1970() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
    }
}
