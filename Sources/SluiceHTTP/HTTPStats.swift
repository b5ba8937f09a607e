package import Synchronization

/// Plain counters the HTTP layer keeps and the server reads at scrape time (DESIGN §1: lower
/// layers carry no metrics code). Relaxed atomics, bumped from every loop.
package final class HTTPStats: Sendable {
    package let connectionsOpen = Atomic<Int>(0)
    package let connectionsAccepted = Atomic<Int>(0)
    /// Connections refused because `maxConnections` were open.
    package let connectionsRejected = Atomic<Int>(0)
    /// Requests the HTTP layer itself refused (parse errors, limits, timeouts).
    package let protocolErrors = Atomic<Int>(0)

    package init() {}
}
