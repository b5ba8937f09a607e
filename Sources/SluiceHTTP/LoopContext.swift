import Glibc
import SluiceNet
import Synchronization

/// One loop's listeners, connections, TLS handshakes under way and cached `Date`; confined to
/// that loop. It owns its connections (`ConnectionOwner`) and is the one place that counts
/// them open and closed.
final class LoopContext: ConnectionOwner, @unchecked Sendable {
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
    /// The `Date` header value this loop's connections write, refreshed every tick.
    private let date = DateCache()

    init(loop: EventLoop, state: ServerState, responder: any Responder) {
        self.loop = loop
        self.state = state
        self.responder = responder
    }

    deinit { scratch.deallocate() }

    /// What this loop's connections share, this context as their owner.
    private var env: ConnectionEnvironment {
        ConnectionEnvironment(responder: responder, server: state, owner: self, date: date)
    }

    /// Called before the loop thread starts, so touching loop state here is safe.
    func listen(host: String, port: Int, tlsPort: Int?) throws(SocketError) {
        listener = try Listener(
            host: host, port: port, loop: loop,
            onAccept: { [unowned self] fd in self.accept(fd) },
            onPause: { [unowned self] error, unreported in self.paused(error, unreported) })
        listenerPort = listener?.port ?? 0
        if let tlsPort {
            tlsListener = try Listener(
                host: host, port: tlsPort, loop: loop,
                onAccept: { [unowned self] fd in self.acceptTLS(fd) },
                onPause: { [unowned self] error, unreported in self.paused(error, unreported) })
            tlsListenerPort = tlsListener?.port ?? 0
        }
        loop.onTick { [unowned self] now in
            self.date.refresh()
            for connection in self.connections.values { connection.tick(now) }
            for connection in self.http2Connections.values { connection.tick(now) }
            for handshake in self.handshakes.values { handshake.tick(now, timeouts: self.state.timeouts) }
        }
        loop.onStop { [unowned self] in self.loopStopped() }
    }

    /// The loop stopped (`HTTPServer.stop()`): nothing will serve these connections again, so
    /// their descriptors close now, and the context leaves the server's state, whose `contexts`
    /// held it — and through it every connection and what answers them — for `shutdown()`.
    private func loopStopped() {
        closeListener()
        for handshake in Array(handshakes.values) { handshake.stream.close() }
        for connection in Array(connections.values) { connection.close() }
        for connection in Array(http2Connections.values) { connection.close() }
        state.unregister(loop.index)
    }

    private func paused(_ error: SocketError, _ unreported: Int) {
        state.acceptPaused?(loop.index, error, unreported)
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
        let handshake = TLSHandshake(stream: stream, owner: self, started: MonotonicClock.now())
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
        let connection = HTTPConnection(stream: stream, env: env, sniffsPreface: proto == nil && state.http2.enabled)
        stream.delegate = connection
        connections[ObjectIdentifier(connection)] = connection
    }

    /// Hands `stream` to a new HTTP/2 connection (an HTTP/1.1 one saw the preface or answered
    /// 101, or ALPN chose h2). `initial` are bytes already read and not yet parsed.
    private func startHTTP2(_ stream: Connection, initial: [UInt8], upgrade: HTTP2Upgrade?) {
        state.stats.http2ConnectionsOpen.add(1, ordering: .relaxed)
        if stream.tls != nil { state.stats.http2TLSConnectionsOpen.add(1, ordering: .relaxed) }
        let connection = HTTP2Connection(stream: stream, env: env)
        stream.delegate = connection
        http2Connections[ObjectIdentifier(connection)] = connection
        if !connection.start(initial: initial, upgrade: upgrade) { stream.close() }
    }

    // MARK: ConnectionOwner

    func switchToHTTP2(from connection: HTTPConnection, stream: Connection, initial: [UInt8], upgrade: HTTP2Upgrade?) {
        connections[ObjectIdentifier(connection)] = nil
        // Still one open connection: the HTTP/2 side counts its close.
        startHTTP2(stream, initial: initial, upgrade: upgrade)
    }

    func closed(_ connection: HTTPConnection) {
        connections[ObjectIdentifier(connection)] = nil
        state.stats.connectionsOpen.subtract(1, ordering: .relaxed)
        if connection.isTLS { state.stats.tlsConnectionsOpen.subtract(1, ordering: .relaxed) }
    }

    func closed(_ connection: HTTP2Connection) {
        http2Connections[ObjectIdentifier(connection)] = nil
        state.stats.connectionsOpen.subtract(1, ordering: .relaxed)
        state.stats.http2ConnectionsOpen.subtract(1, ordering: .relaxed)
        if connection.isTLS {
            state.stats.http2TLSConnectionsOpen.subtract(1, ordering: .relaxed)
            state.stats.tlsConnectionsOpen.subtract(1, ordering: .relaxed)
        }
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
