package import Synchronization

/// Plain counters the HTTP layer keeps and the server reads at scrape time (docs/architecture.md: lower
/// layers carry no metrics code). Relaxed atomics, bumped from every loop.
package final class HTTPStats: Sendable {
    /// Open connections of every protocol (the `maxConnections` cap counts them all).
    package let connectionsOpen = Atomic<Int>(0)
    /// Of `connectionsOpen`, those speaking HTTP/2 (h2c or over TLS).
    package let http2ConnectionsOpen = Atomic<Int>(0)
    /// Of `http2ConnectionsOpen`, those over TLS (also counted in `tlsConnectionsOpen`).
    package let http2TLSConnectionsOpen = Atomic<Int>(0)
    /// HTTP/2 streams handed to the responder (requests over HTTP/2), ever.
    package let http2Streams = Atomic<Int>(0)
    package let connectionsAccepted = Atomic<Int>(0)
    /// Connections refused because `maxConnections` were open.
    package let connectionsRejected = Atomic<Int>(0)
    /// Requests the HTTP layer itself refused (parse errors, limits, timeouts).
    package let protocolErrors = Atomic<Int>(0)
    /// Of `connectionsOpen`: TLS connections whose handshake is still under way.
    package let tlsHandshakesInProgress = Atomic<Int>(0)
    /// Of `connectionsOpen`: HTTP/1.1 connections over TLS (handshake done).
    package let tlsConnectionsOpen = Atomic<Int>(0)
    /// TLS handshakes that failed or timed out (garbage, a refused version or certificate).
    package let tlsHandshakeFailures = Atomic<Int>(0)

    /// Responses with status 400–599 by status, from the HTTP layer and the application alike.
    private let errors: [ErrorCount] = (400...599).map { _ in ErrorCount() }

    package init() {}

    /// Counts one error response. Any loop thread.
    package func recordError(status: Int) {
        guard status >= 400 && status <= 599 else { return }
        errors[status - 400].count.add(1, ordering: .relaxed)
    }

    /// `(status, count)` for every status answered at least once; read at scrape time.
    package var errorCounts: [(status: Int, count: Int)] {
        errors.enumerated().compactMap { index, box in
            let n = box.count.load(ordering: .relaxed)
            return n > 0 ? (index + 400, n) : nil
        }
    }

    private final class ErrorCount: Sendable {
        let count = Atomic<Int>(0)
    }
}
