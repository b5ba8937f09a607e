/// How long each wait of a connection may last, and the one place that decides whether it has
/// lasted too long: for HTTP/1.1 connections, HTTP/2 connections and streams, and TLS
/// handshakes alike. A pure value: callers pass the time (`MonotonicClock` nanoseconds on the
/// loop, a plain number in tests).
struct Timeouts: Sendable {
    /// What a connection or stream is waiting for.
    enum Wait: Sendable, Equatable {
        /// A TLS handshake, from accept (bounded by the header timeout: it precedes any head).
        case handshake
        /// The next request on a kept-alive connection, or the first stream on an HTTP/2 one.
        case idle
        /// The rest of a request's head, from its first byte.
        case head
        /// The rest of a request's body, from its complete head.
        case body

        /// The 408 a stalled head or body is answered with (an idle connection and a handshake
        /// are closed without an answer; a handshake is bounded by the header timeout).
        var error: HTTPError {
            self == .body ? .bodyTimeout : .headerTimeout
        }
    }

    /// Nanoseconds each wait may last.
    var header: UInt64
    var body: UInt64
    var idle: UInt64

    init(header: UInt64, body: UInt64, idle: UInt64) {
        self.header = header
        self.body = body
        self.idle = idle
    }

    init(_ limits: HTTPLimits) {
        self.init(header: limits.headerTimeout, body: limits.bodyTimeout, idle: limits.idleTimeout)
    }

    /// Whether `wait`, begun at `since`, has lasted too long at `now` (strictly longer than its
    /// limit, as a tick that lands exactly on it does not yet expire it).
    func hasExpired(_ wait: Wait, since: UInt64, now: UInt64) -> Bool {
        let limit: UInt64
        switch wait {
        case .handshake, .head: limit = header
        case .body: limit = body
        case .idle: limit = idle
        }
        return now &- since > limit
    }
}
