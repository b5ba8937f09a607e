import Foundation
import Glibc
package import SluiceNet
import Synchronization

/// The HTTP server: N event loops, each with its own `SO_REUSEPORT` listener on the same port (and,
/// with TLS, a second one on the TLS port) and its own connections for life (docs/architecture.md,
/// "The path of one request").
///
/// `start()` is called once from the main thread and returns when every loop is accepting;
/// `shutdown()` and `stop()` may be called from any thread.
package final class HTTPServer: Sendable {
    package struct Configuration: Sendable {
        package var host = "0.0.0.0"
        package var port = 8080
        /// Event loops; 0 means one per core.
        package var threads = 0
        package var limits = HTTPLimits()
        /// HTTP/2 (h2c) on the cleartext listener, and the SETTINGS it announces.
        package var http2 = HTTP2Settings()
        /// Called on the loop after each answered request with its context and its duration in
        /// nanoseconds (access logging); nil costs nothing per request.
        package var accessLog: (@Sendable (RequestContext, Response, UInt64) -> Void)?
        /// Called on the loop for each answer that renders one of our own faults (a 500 with a
        /// `failure`), with the request's context: the full error goes to the log there, with
        /// the request id, while the client reads a generic message.
        package var faultLog: (@Sendable (RequestContext, any Error) -> Void)?
        /// Request decoding and response compression (`compression:`).
        package var compression = ContentCoding.Settings()
        /// A TLS listener beside the cleartext one; nil = cleartext only.
        package var tls: TLS?
        /// Called on a loop whose listener stopped accepting for a while (no descriptors or
        /// memory left, `AcceptPause`), at most once a minute per listener: the loop's index,
        /// the error, and how many pauses went unreported since the last call.
        package var acceptPaused: (@Sendable (Int, SocketError, Int) -> Void)?
        /// Where requests with large bodies are handled; nil = every request on its loop.
        package var offload: Offload?

        package init() {}
    }

    /// The TLS listener: its port (0 = the kernel's pick) and the credentials that SIGHUP reloads.
    package struct TLS: Sendable {
        package var port: Int
        package var credentials: TLSCredentials

        package init(port: Int, credentials: TLSCredentials) {
            self.port = port
            self.credentials = credentials
        }
    }

    /// The ALPN ids the TLS listener offers, in order of preference: "h2" first when HTTP/2 is
    /// enabled (`handshakeEnded` starts an HTTP/2 connection for it).
    package static func alpnProtocols(http2: Bool) -> [String] {
        http2 ? ["h2", "http/1.1"] : ["http/1.1"]
    }

    package let configuration: Configuration
    /// `limits.maxConnections`, capped to what the open-file limit leaves room for
    /// (`DescriptorLimit.connections`) when that is less.
    package let maxConnections: Int
    package var stats: HTTPStats { state.stats }
    private let responder: any Responder
    private let state: ServerState
    private let loops: [EventLoop]
    /// Left by each loop thread as it ends (`stop` waits for all).
    private let loopsEnded = DispatchGroup()
    private let boundPort = Atomic<Int>(0)
    private let boundTLSPort = Atomic<Int>(0)

    package init(configuration: Configuration, responder: any Responder) throws(SocketError) {
        self.configuration = configuration
        self.responder = responder
        let count = configuration.threads > 0 ? configuration.threads : max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var loops: [EventLoop] = []
        for index in 0..<count { loops.append(try EventLoop(index: index)) }
        self.loops = loops
        var limits = configuration.limits
        if let soft = DescriptorLimit.current()?.soft {
            limits.maxConnections = min(limits.maxConnections, DescriptorLimit.connections(allowedBy: soft, loops: count))
        }
        maxConnections = limits.maxConnections
        state = ServerState(
            limits: limits, http2: configuration.http2, accessLog: configuration.accessLog,
            faultLog: configuration.faultLog,
            coding: ContentCoding(settings: configuration.compression, maxBodyBytes: configuration.limits.maxBodyBytes),
            tls: configuration.tls?.credentials, acceptPaused: configuration.acceptPaused, offload: configuration.offload)
    }

    /// The port every loop listens on (the kernel's pick when configured as 0). Valid after `start`.
    package var port: Int { boundPort.load(ordering: .acquiring) }

    /// The TLS port every loop listens on; 0 without TLS. Valid after `start`.
    package var tlsPort: Int { boundTLSPort.load(ordering: .acquiring) }

    /// Re-reads the TLS certificate and key (SIGHUP). New handshakes use them; open connections
    /// keep the session they have. On failure the old ones stay in use and the error names the
    /// file. Any thread; without TLS it does nothing.
    package func reloadTLS() throws(TLSError) {
        try configuration.tls?.credentials.reload()
    }

    /// Binds the listeners (the first decides the port when it is 0) and starts the loop threads.
    /// Throws if any listener cannot bind; then nothing keeps running.
    package func start() throws(SocketError) {
        // A peer that resets while we write must cost an EPIPE on that connection, not the
        // process: the default action of SIGPIPE is to terminate.
        signal(SIGPIPE, SIG_IGN)
        var port = configuration.port
        var tlsPort = configuration.tls?.port
        // A port of 0 is the kernel's pick, free by construction.
        for requested in [port, tlsPort ?? 0] where requested != 0 {
            try Socket.checkPortIsFree(host: configuration.host, port: requested)
        }
        var contexts: [LoopContext] = []
        for loop in loops {
            let context = LoopContext(loop: loop, state: state, responder: responder)
            do {
                try context.listen(host: configuration.host, port: port, tlsPort: tlsPort)
            } catch {
                context.closeListener()
                contexts.forEach { $0.closeListener() }
                throw error
            }
            port = context.listenerPort
            if tlsPort != nil { tlsPort = context.tlsListenerPort }
            contexts.append(context)
        }
        boundPort.store(port, ordering: .releasing)
        boundTLSPort.store(tlsPort ?? 0, ordering: .releasing)
        for (loop, context) in zip(loops, contexts) {
            state.register(context, for: loop.index)
            let ended = loopsEnded
            ended.enter()
            let thread = Thread {
                loop.run()
                // OpenSSL keeps per-thread state (its random generators) that a thread must hand
                // back as it ends; left to OpenSSL's exit-time cleanup, it raced the thread's
                // own teardown (a SEGV at exit under ASan).
                TLSContext.releaseThreadState()
                ended.leave()
            }
            thread.name = "sluice-loop-\(loop.index)"
            thread.start()
        }
    }

    /// Graceful shutdown: listeners close at once, idle keep-alive connections close, busy ones
    /// close after their current answer (which says `Connection: close`); HTTP/2 connections
    /// get GOAWAY, finish the streams they have begun, then close. Any thread.
    package func shutdown() {
        state.isDraining = true
        for loop in loops {
            let state = state
            loop.execute { state.context(for: loop.index)?.drain() }
        }
    }

    /// Open connections across all loops (for waiting out a grace period).
    package var openConnections: Int { state.stats.connectionsOpen.load(ordering: .relaxed) }

    /// Stops every loop; connections are abandoned. Returns once the loop threads have ended
    /// (at most 5 s), so a process that exits next does not tear down what they still use. Any
    /// thread; on a loop's own thread it does not wait.
    package func stop() {
        for loop in loops { loop.stop() }
        guard !loops.contains(where: { $0.inEventLoop }) else { return }
        _ = loopsEnded.wait(timeout: .now() + 5)
    }
}

/// The protocol a connection speaks from its first byte, as TLS ALPN names it (RFC 7301).
package enum HTTPProtocol: Sendable, Equatable {
    case http1
    case http2

    /// `"h2"` or `"http/1.1"`; nil for anything else (the caller decides, usually HTTP/1.1).
    package init?(alpn: String) {
        switch alpn {
        case "h2": self = .http2
        case "http/1.1": self = .http1
        default: return nil
        }
    }
}
