import Dispatch
import Foundation
import SluiceHTTP
import SwiftProtobuf
import Synchronization

/// `grpc.health.v1.Health/Watch` (gRPC's health-checking protocol): each watcher is sent the
/// status of its service at once and again whenever it changes, until it hangs up or the server
/// shuts down. While anyone watches, a thread looks at the statuses every 100 ms; it ends when
/// the last watcher is gone (a new watcher starts another). A change is a new message on the
/// watcher's stream, sent through its writer (which hops to the connection's loop). A service
/// the server does not know is SERVICE_UNKNOWN, as the protocol asks, and is watched like the
/// others.
final class HealthWatch: Sendable {
    private struct Watcher {
        var writer: ResponseWriter
        var service: String
        var last: Grpc_Health_V1_HealthCheckResponse.ServingStatus?
    }

    private struct State {
        var watchers: [Watcher] = []
        var threadRunning = false
        var stopped = false
    }

    /// The status of a service, or nil for one the server does not know.
    private let status: @Sendable (String) -> Grpc_Health_V1_HealthCheckResponse.ServingStatus?
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    static let period = 0.1

    init(status: @escaping @Sendable (String) -> Grpc_Health_V1_HealthCheckResponse.ServingStatus?) {
        self.status = status
    }

    /// Starts watching for the caller of `writer`: its first message goes out now.
    func add(service: String, writer: ResponseWriter) {
        var watcher = Watcher(writer: writer, service: service, last: nil)
        send(&watcher)
        let start = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.watchers.append(watcher)
            defer { state.threadRunning = true }
            return !state.threadRunning
        }
        if start { startThread() }
    }

    private func startThread() {
        let thread = Thread {
            while true {
                _ = self.wake.wait(timeout: .now() + Self.period)
                guard self.look() else { return }
            }
        }
        thread.name = "sluice-health-watch"
        thread.start()
    }

    /// Sends what changed and drops the watchers whose clients hung up; false (the thread ends)
    /// when none is left or the server stopped.
    private func look() -> Bool {
        state.withLock { state in
            state.watchers.removeAll { $0.writer.context.isCancelled }
            guard !state.stopped, !state.watchers.isEmpty else {
                state.threadRunning = false
                return false
            }
            for k in state.watchers.indices { send(&state.watchers[k]) }
            return true
        }
    }

    private func send(_ watcher: inout Watcher) {
        let now = status(watcher.service) ?? .serviceUnknown
        guard now != watcher.last else { return }
        watcher.last = now
        var message = Grpc_Health_V1_HealthCheckResponse()
        message.status = now
        // Serializing a message of one enum field cannot fail.
        guard let bytes: [UInt8] = try? message.serializedBytes() else { return }
        watcher.writer.sendMessage(bytes)
    }

    /// Shutdown: every watcher is told NOT_SERVING and its stream ends UNAVAILABLE (gRPC's
    /// answer to a server going away), so no watch holds the drain; the thread ends. Any
    /// thread, more than once.
    func stop() {
        let ending = state.withLock { state in
            state.stopped = true
            defer { state.watchers.removeAll() }
            return state.watchers
        }
        wake.signal()
        var message = Grpc_Health_V1_HealthCheckResponse()
        message.status = .notServing
        let bytes: [UInt8] = (try? message.serializedBytes()) ?? []
        for watcher in ending where !watcher.writer.context.isCancelled {
            if watcher.last != .notServing { watcher.writer.sendMessage(bytes) }
            watcher.writer.endStream(GRPCServiceError.shuttingDown)
        }
    }
}
