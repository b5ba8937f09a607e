import Glibc

/// When a listener stops accepting and when it warns about it: the policy for an `accept` that
/// fails for want of descriptors or kernel memory. A pure value driven by the loop's clock
/// (`MonotonicClock` nanoseconds on the loop, plain numbers in tests).
///
/// Such a failure leaves the connection in the backlog, so a level-triggered listener is ready
/// again at once: without a pause the loop spins at 100 % CPU until a descriptor frees up. As
/// nginx does (`ngx_event_accept`, 500 ms), the listener leaves the epoll set for `duration`
/// and comes back on a tick; connections wait in the backlog meanwhile. A warning is due at
/// most once per `warningInterval`, and counts the pauses it did not report.
package struct AcceptPause: Sendable, Equatable {
    /// Nanoseconds a listener stays out of the epoll set (nginx's 500 ms).
    package static let duration: UInt64 = 500_000_000
    /// Nanoseconds between two warnings of one listener.
    package static let warningInterval: UInt64 = 60_000_000_000

    /// When the current pause began; nil while accepting.
    package private(set) var pausedSince: UInt64?
    private var lastWarning: UInt64?
    private var unreported = 0

    package init() {}

    /// Whether `error` is one that a retry cannot clear until something else frees resources.
    package static func isExhaustion(_ error: SocketError) -> Bool {
        [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errno)
    }

    /// An accept failed with exhaustion at `now`: the listener pauses. Returns the number of
    /// earlier pauses not reported yet when a warning is due (0 for the first), nil when this
    /// one is only counted.
    package mutating func failed(now: UInt64) -> Int? {
        pausedSince = now
        if let last = lastWarning, now &- last < Self.warningInterval {
            unreported += 1
            return nil
        }
        lastWarning = now
        defer { unreported = 0 }
        return unreported
    }

    /// A tick at `now`: true once the pause has lasted `duration`, and the listener should be
    /// ready again (it then counts as accepting).
    package mutating func resumes(now: UInt64) -> Bool {
        guard let since = pausedSince, now &- since >= Self.duration else { return false }
        pausedSince = nil
        return true
    }
}
