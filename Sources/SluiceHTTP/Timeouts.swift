/// How long each wait of a connection may last, and the one place that decides whether it has
/// lasted too long: for HTTP/1.1 connections, HTTP/2 connections and streams, and TLS
/// handshakes alike (`SendProgress` keeps the send timeout's clock). A pure value: callers pass
/// the time (`MonotonicClock` nanoseconds on the loop, a plain number in tests).
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
        /// The peer taking any of the bytes we have for it (nginx's `send_timeout`): a
        /// connection's bytes in the socket, or an HTTP/2 answer held by the peer's flow-control
        /// window. Closed (or the stream reset) without an answer: none could reach it.
        case send

        /// The 408 a stalled head or body is answered with (an idle connection, a handshake and
        /// a stalled send are closed without an answer; a handshake is bounded by the header
        /// timeout).
        var error: HTTPError {
            self == .body ? .bodyTimeout : .headerTimeout
        }
    }

    /// Nanoseconds each wait may last.
    var header: UInt64
    var body: UInt64
    var idle: UInt64
    var send: UInt64

    init(header: UInt64, body: UInt64, idle: UInt64, send: UInt64) {
        self.header = header
        self.body = body
        self.idle = idle
        self.send = send
    }

    init(_ limits: HTTPLimits) {
        self.init(header: limits.headerTimeout, body: limits.bodyTimeout, idle: limits.idleTimeout, send: limits.sendTimeout)
    }

    /// Whether `wait`, begun at `since`, has lasted too long at `now` (strictly longer than its
    /// limit, as a tick that lands exactly on it does not yet expire it).
    func hasExpired(_ wait: Wait, since: UInt64, now: UInt64) -> Bool {
        let limit: UInt64
        switch wait {
        case .handshake, .head: limit = header
        case .body: limit = body
        case .idle: limit = idle
        case .send: limit = send
        }
        return now &- since > limit
    }
}

/// The send timeout's clock for one connection or stream, sampled on the loop's ticks: since
/// when bytes have waited for the peer without it taking any. The write path only counts the
/// bytes taken (no clock read, no syscall); the price is a tick of resolution, as for every
/// other timeout. Stored inline by its owner, touched only on its loop.
struct SendProgress: Equatable {
    /// The count of bytes taken seen at the last tick that saw it move.
    private var taken: UInt64 = 0
    /// The tick that first saw bytes waiting since `taken` last moved; nil while none wait.
    private var since: UInt64?

    init() {}

    /// A tick at `now`: `waiting` says whether bytes wait for the peer, `taken` counts every
    /// byte it has taken so far. True once it has taken none for longer than the send timeout
    /// (the clock then starts over, so a caller that goes on is told again only a timeout later).
    mutating func stalled(waiting: Bool, taken: UInt64, now: UInt64, timeouts: Timeouts) -> Bool {
        guard waiting else {
            since = nil
            return false
        }
        guard let since, taken == self.taken else {
            self.taken = taken
            self.since = now
            return false
        }
        guard timeouts.hasExpired(.send, since: since, now: now) else { return false }
        self.since = nil
        return true
    }
}
