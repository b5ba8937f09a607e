/// Per-connection limits and timeouts of the HTTP server (README "Configuration"), `limits:` in the server
/// config, which embeds this type. Timeouts are nanoseconds, the unit of the loops' clock, so each
/// tick compares integers.
package struct HTTPLimits: Sendable, Equatable {
    package var maxHeaderBytes = 16 * 1024
    package var maxBodyBytes = 64 * 1024 * 1024
    /// Nanoseconds from a request's first byte to its complete head, else 408.
    package var headerTimeout: UInt64 = 10_000_000_000
    /// Nanoseconds from a complete head to a complete body, else 408.
    package var bodyTimeout: UInt64 = 30_000_000_000
    /// Nanoseconds a keep-alive connection may sit idle before it is closed.
    package var idleTimeout: UInt64 = 60_000_000_000
    /// Nanoseconds a connection may wait for its peer to take any of the bytes it has for it
    /// (an HTTP/2 stream: any of its answer, held by the peer's window) before it is closed
    /// (the stream reset): nginx's `send_timeout`.
    package var sendTimeout: UInt64 = 30_000_000_000
    package var maxConnections = 10_000

    package init() {}

    /// The most request body an HTTP/2 connection buffers across its streams before their
    /// requests are complete: two bodies of `maxBodyBytes`, what an HTTP/1.1 connection can hold
    /// (the body being answered, and a pipelined request's worth). Not a key of its own: the
    /// bodies a connection may carry at once follow from the one a request may carry, and the
    /// per-stream window alone would let 100 streams buffer 100 bodies.
    package var maxConnectionBodyBytes: Int {
        let (twice, overflow) = maxBodyBytes.multipliedReportingOverflow(by: 2)
        return overflow ? Int.max : twice
    }
}
