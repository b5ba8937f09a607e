import Glibc

/// The process's open-file limit (`RLIMIT_NOFILE`) and how many connections it leaves room for.
/// Called at start-up, from the main thread.
package enum DescriptorLimit {
    /// Descriptors kept free beside the connections: each loop holds an epoll set, an eventfd, a
    /// timerfd and up to two listeners (`perLoop`); the process holds stdio and the signal pipe,
    /// and opens files while it loads models, scans the repository, writes the routes and
    /// canary files and reads `/proc` for `/metrics` (`shared`, room for several at once).
    package static let shared = 64
    package static let perLoop = 5

    /// The soft and hard limits; nil if they cannot be read.
    package static func current() -> (soft: Int, hard: Int)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return (clamp(limit.rlim_cur), clamp(limit.rlim_max))
    }

    /// Raises the soft limit to the hard one (which needs no privilege), as nginx's
    /// `worker_rlimit_nofile` and systemd's services expect: the soft default of 1024 exists
    /// for old `select` users, and Sluice uses epoll. Returns the limits after; a failure
    /// leaves them as they were.
    @discardableResult
    package static func raiseSoftToHard() -> (soft: Int, hard: Int)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised)
        }
        return current()
    }

    /// The most connections `soft` descriptors leave room for with `loops` event loops: at
    /// least 1, so a tiny limit still serves (and pauses accepting when it runs out).
    package static func connections(allowedBy soft: Int, loops: Int) -> Int {
        let (reserve, overflow) = perLoop.multipliedReportingOverflow(by: max(1, loops))
        guard !overflow else { return 1 }
        return max(1, soft - shared - reserve)
    }

    /// `RLIM_INFINITY` and anything beyond `Int` read as `Int.max`.
    private static func clamp(_ value: rlim_t) -> Int {
        value >= rlim_t(Int.max) ? Int.max : Int(value)
    }
}
