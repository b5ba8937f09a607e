import Foundation
import Glibc
package import SluiceNet
import Synchronization

/// The HTTP server: N event loops, each with its own `SO_REUSEPORT` listener on the same port
/// (and, with TLS, a second one on the TLS port) and its own connections for life (DESIGN §2).
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
        /// Called on the loop for each answer that renders one of our own faults (a 5xx with a
        /// `failure`), with the request's context: the full error goes to the log there, with
        /// the request id, while the client reads a generic message.
        package var faultLog: (@Sendable (RequestContext, any Error) -> Void)?
        /// Request decoding and response compression (`compression:`).
        package var compression = ContentCoding.Settings()
        /// A TLS listener beside the cleartext one; nil = cleartext only.
        package var tls: TLS?

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
    package var stats: HTTPStats { state.stats }
    private let responder: any Responder
    private let state: ServerState
    private let loops: [EventLoop]
    private let boundPort = Atomic<Int>(0)
    private let boundTLSPort = Atomic<Int>(0)

    package init(configuration: Configuration, responder: any Responder) throws(SocketError) {
        self.configuration = configuration
        self.responder = responder
        let count = configuration.threads > 0 ? configuration.threads : max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var loops: [EventLoop] = []
        for index in 0..<count { loops.append(try EventLoop(index: index)) }
        self.loops = loops
        state = ServerState(
            limits: configuration.limits, http2: configuration.http2, accessLog: configuration.accessLog,
            faultLog: configuration.faultLog,
            coding: ContentCoding(settings: configuration.compression, maxBodyBytes: configuration.limits.maxBodyBytes),
            tls: configuration.tls?.credentials)
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
            let thread = Thread { loop.run() }
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

    /// Stops every loop; connections are abandoned. Any thread.
    package func stop() {
        for loop in loops { loop.stop() }
    }
}

/// State shared by all loops of one server: counters, the draining flag, and each loop's context
/// (reached from other threads only through `loop.execute`).
final class ServerState: @unchecked Sendable {
    let stats = HTTPStats()
    let limits: HTTPLimits
    let http2: HTTP2Settings
    let accessLog: (@Sendable (RequestContext, Response, UInt64) -> Void)?
    let faultLog: (@Sendable (RequestContext, any Error) -> Void)?
    let coding: ContentCoding
    let tls: TLSCredentials?
    private let draining = Atomic<Bool>(false)
    private let contexts: Mutex<[Int: LoopContext]>

    init(
        limits: HTTPLimits, http2: HTTP2Settings, accessLog: (@Sendable (RequestContext, Response, UInt64) -> Void)?,
        faultLog: (@Sendable (RequestContext, any Error) -> Void)?, coding: ContentCoding, tls: TLSCredentials?
    ) {
        self.limits = limits
        self.http2 = http2
        self.accessLog = accessLog
        self.faultLog = faultLog
        self.coding = coding
        self.tls = tls
        contexts = Mutex([:])
    }

    var isDraining: Bool {
        get { draining.load(ordering: .relaxed) }
        set { draining.store(newValue, ordering: .relaxed) }
    }

    func register(_ context: LoopContext, for index: Int) {
        contexts.withLock { $0[index] = context }
    }

    func context(for index: Int) -> LoopContext? {
        contexts.withLock { $0[index] }
    }

    /// The bookkeeping of every answer to a dispatched request, for both protocols, on its
    /// loop: content coding, the error count, the fault and access logs, and the
    /// `x-request-id` echo.
    func conclude(_ response: inout Response, context: RequestContext, acceptEncoding: String?) {
        coding.finish(&response, acceptEncoding: acceptEncoding)
        if response.status >= 400 {
            stats.recordError(status: response.status)
            if response.status >= 500, let failure = response.failure, let faultLog { faultLog(context, failure) }
        }
        if let accessLog { accessLog(context, response, MonotonicClock.now() &- context.started) }
        response.headers.add(lowercased: "x-request-id", context.id)
    }

}

/// One loop's listeners, connections, TLS handshakes under way and cached `Date`; confined to
/// that loop.
final class LoopContext: @unchecked Sendable {
    let loop: EventLoop
    private let state: ServerState
    private let responder: any Responder
    private var listener: Listener?
    private var tlsListener: Listener?
    private(set) var listenerPort = 0
    private(set) var tlsListenerPort = 0
    private var connections: [ObjectIdentifier: HTTPConnection] = [:]
    /// Kept apart from `connections` so the HTTP/1.1 ones stay concrete (no existential calls).
    private var http2Connections: [ObjectIdentifier: HTTP2Connection] = [:]
    private var handshakes: [ObjectIdentifier: TLSHandshake] = [:]
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    /// The `Date` header value, refreshed every tick (the loop's clock resolution).
    private(set) var date = Array(HTTPDate.now().utf8)

    init(loop: EventLoop, state: ServerState, responder: any Responder) {
        self.loop = loop
        self.state = state
        self.responder = responder
    }

    deinit { scratch.deallocate() }

    /// Called before the loop thread starts, so touching loop state here is safe.
    func listen(host: String, port: Int, tlsPort: Int?) throws(SocketError) {
        listener = try Listener(
            host: host, port: port, loop: loop,
            onAccept: { [unowned self] fd in self.accept(fd) },
            onError: { _ in })
        listenerPort = listener?.port ?? 0
        if let tlsPort {
            tlsListener = try Listener(
                host: host, port: tlsPort, loop: loop,
                onAccept: { [unowned self] fd in self.acceptTLS(fd) },
                onError: { _ in })
            tlsListenerPort = tlsListener?.port ?? 0
        }
        loop.onTick { [unowned self] now in
            self.date = Array(HTTPDate.now().utf8)
            for connection in self.connections.values { connection.tick(now) }
            for connection in self.http2Connections.values { connection.tick(now) }
            for handshake in self.handshakes.values where now &- handshake.started > self.state.limits.headerTimeout {
                handshake.stream.close()
            }
        }
    }

    func closeListener() {
        listener?.close()
        listener = nil
        tlsListener?.close()
        tlsListener = nil
    }

    /// Whether one more connection fits under `maxConnections`; counts the refusal if not.
    private func admit(_ fd: Int32) -> Bool {
        let open = state.stats.connectionsOpen.load(ordering: .relaxed)
        guard open < state.limits.maxConnections else {
            state.stats.connectionsRejected.add(1, ordering: .relaxed)
            close(fd)
            return false
        }
        return true
    }

    private func accept(_ fd: Int32) {
        guard admit(fd) else { return }
        do {
            let stream = try Connection(fd: fd, loop: loop, scratch: scratch)
            state.stats.connectionsOpen.add(1, ordering: .relaxed)
            state.stats.connectionsAccepted.add(1, ordering: .relaxed)
            adopt(stream, speaking: nil)
        } catch {
            close(fd)
        }
    }

    /// A TLS accept: the stream waits in `handshakes` until `handshakeEnded`.
    private func acceptTLS(_ fd: Int32) {
        guard admit(fd), let credentials = state.tls else { return }
        let stream: Connection
        do {
            stream = try Connection(fd: fd, loop: loop, scratch: scratch, tls: try TLSSession(context: credentials.current, fd: fd))
        } catch {
            close(fd)
            return
        }
        let handshake = TLSHandshake(stream: stream, context: self, started: MonotonicClock.now())
        stream.delegate = handshake
        handshakes[ObjectIdentifier(handshake)] = handshake
        state.stats.connectionsOpen.add(1, ordering: .relaxed)
        state.stats.connectionsAccepted.add(1, ordering: .relaxed)
        state.stats.tlsHandshakesInProgress.add(1, ordering: .relaxed)
    }

    /// A handshake finished (`alpn` is what ALPN chose, "http/1.1" when the client offered
    /// nothing) or failed (`alpn` nil: the stream is closed already). "h2" starts HTTP/2 at
    /// once (no preface sniffing, no upgrade), anything else HTTP/1.1.
    func handshakeEnded(_ handshake: TLSHandshake, alpn: String?) {
        handshakes[ObjectIdentifier(handshake)] = nil
        state.stats.tlsHandshakesInProgress.subtract(1, ordering: .relaxed)
        guard let alpn else {
            state.stats.tlsHandshakeFailures.add(1, ordering: .relaxed)
            state.stats.connectionsOpen.subtract(1, ordering: .relaxed)
            return
        }
        state.stats.tlsConnectionsOpen.add(1, ordering: .relaxed)
        adopt(handshake.stream, speaking: HTTPProtocol(alpn: alpn) ?? .http1)
    }

    /// Puts HTTP on a new connection of this loop, which its accept has counted open.
    /// `protocol` is what the first byte must speak — what TLS's ALPN chose — or nil on a
    /// cleartext connection, which starts as HTTP/1.1 and turns into h2c when its first bytes
    /// are the HTTP/2 preface or its first request asks for `Upgrade: h2c`.
    func adopt(_ stream: Connection, speaking proto: HTTPProtocol?) {
        if proto == .http2 {
            startHTTP2(stream, initial: [], upgrade: nil)
            return
        }
        let connection = HTTPConnection(
            stream: stream, responder: responder, limits: state.limits, server: state, context: self,
            sniffsPreface: proto == nil && state.http2.enabled)
        stream.delegate = connection
        connections[ObjectIdentifier(connection)] = connection
    }

    /// Hands `stream` to a new HTTP/2 connection (an HTTP/1.1 one saw the preface or answered
    /// 101, or ALPN chose h2). `initial` are bytes already read and not yet parsed.
    func startHTTP2(_ stream: Connection, initial: [UInt8], upgrade: (request: Request, settings: [UInt8])?) {
        state.stats.http2ConnectionsOpen.add(1, ordering: .relaxed)
        if stream.tls != nil { state.stats.http2TLSConnectionsOpen.add(1, ordering: .relaxed) }
        let connection = HTTP2Connection(stream: stream, responder: responder, limits: state.limits, server: state, context: self)
        stream.delegate = connection
        http2Connections[ObjectIdentifier(connection)] = connection
        if !connection.start(initial: initial, upgrade: upgrade) { stream.close() }
    }

    func remove(_ connection: HTTPConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    func remove(_ connection: HTTP2Connection) {
        http2Connections[ObjectIdentifier(connection)] = nil
    }

    func drain() {
        // Connections already in the accept queue were made before the signal: take them, so
        // closing the listener does not reset them, then let each answer what it has received.
        listener?.onReadable()
        closeListener()
        for handshake in Array(handshakes.values) { handshake.stream.close() }
        for connection in Array(connections.values) { connection.drain() }
        for connection in Array(http2Connections.values) { connection.drain() }
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

/// The IMF-fixdate of RFC 9110 for the `Date` header, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
enum HTTPDate {
    static func now() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
