import Foundation
import Glibc
package import SluiceNet
import Synchronization

/// The HTTP server: N event loops, each with its own `SO_REUSEPORT` listener on the same port
/// and its own connections for life (DESIGN §2).
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
        /// Called on the loop after each answered request with its duration in nanoseconds
        /// (access logging); nil costs nothing per request.
        package var accessLog: (@Sendable (RequestSummary, Response, UInt64) -> Void)?

        package init() {}
    }

    package let configuration: Configuration
    package var stats: HTTPStats { state.stats }
    private let responder: any Responder
    private let state: ServerState
    private let loops: [EventLoop]
    private let boundPort = Atomic<Int>(0)

    package init(configuration: Configuration, responder: any Responder) throws(SocketError) {
        self.configuration = configuration
        self.responder = responder
        let count = configuration.threads > 0 ? configuration.threads : max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var loops: [EventLoop] = []
        for index in 0..<count { loops.append(try EventLoop(index: index)) }
        self.loops = loops
        state = ServerState(limits: configuration.limits, loopCount: count, accessLog: configuration.accessLog)
    }

    /// The port every loop listens on (the kernel's pick when configured as 0). Valid after `start`.
    package var port: Int { boundPort.load(ordering: .acquiring) }

    /// Binds the listeners (the first decides the port when it is 0) and starts the loop threads.
    /// Throws if any listener cannot bind; then nothing keeps running.
    package func start() throws(SocketError) {
        // A peer that resets while we write must cost an EPIPE on that connection, not the
        // process: the default action of SIGPIPE is to terminate.
        signal(SIGPIPE, SIG_IGN)
        var port = configuration.port
        var contexts: [LoopContext] = []
        for loop in loops {
            let context = LoopContext(loop: loop, state: state, responder: responder)
            do {
                try context.listen(host: configuration.host, port: port)
            } catch {
                contexts.forEach { $0.closeListener() }
                throw error
            }
            port = context.listenerPort
            contexts.append(context)
        }
        boundPort.store(port, ordering: .releasing)
        for (loop, context) in zip(loops, contexts) {
            state.register(context, for: loop.index)
            let thread = Thread { loop.run() }
            thread.name = "sluice-loop-\(loop.index)"
            thread.start()
        }
    }

    /// Graceful shutdown: listeners close at once, idle keep-alive connections close, busy ones
    /// close after their current answer (which says `Connection: close`). Any thread.
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
    let accessLog: (@Sendable (RequestSummary, Response, UInt64) -> Void)?
    private let draining = Atomic<Bool>(false)
    private let contexts: Mutex<[Int: LoopContext]>

    init(limits: HTTPLimits, loopCount: Int, accessLog: (@Sendable (RequestSummary, Response, UInt64) -> Void)?) {
        self.limits = limits
        self.accessLog = accessLog
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

}

/// One loop's listener, connections and cached `Date`; confined to that loop.
final class LoopContext: @unchecked Sendable {
    let loop: EventLoop
    private let state: ServerState
    private let responder: any Responder
    private var listener: Listener?
    private(set) var listenerPort = 0
    private var connections: [ObjectIdentifier: HTTPConnection] = [:]
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
    func listen(host: String, port: Int) throws(SocketError) {
        listener = try Listener(
            host: host, port: port, loop: loop,
            onAccept: { [unowned self] fd in self.accept(fd) },
            onError: { _ in })
        listenerPort = listener?.port ?? 0
        loop.onTick { [unowned self] now in
            self.date = Array(HTTPDate.now().utf8)
            for connection in self.connections.values { connection.tick(now) }
        }
    }

    func closeListener() {
        listener?.close()
        listener = nil
    }

    private func accept(_ fd: Int32) {
        let open = state.stats.connectionsOpen.load(ordering: .relaxed)
        guard open < state.limits.maxConnections else {
            state.stats.connectionsRejected.add(1, ordering: .relaxed)
            close(fd)
            return
        }
        do {
            let stream = try Connection(fd: fd, loop: loop, scratch: scratch)
            let connection = HTTPConnection(stream: stream, responder: responder, limits: state.limits, server: state, context: self)
            stream.delegate = connection
            connections[ObjectIdentifier(connection)] = connection
            state.stats.connectionsOpen.add(1, ordering: .relaxed)
            state.stats.connectionsAccepted.add(1, ordering: .relaxed)
        } catch {
            close(fd)
        }
    }

    func remove(_ connection: HTTPConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    func drain() {
        // Connections already in the accept queue were made before the signal: take them, so
        // closing the listener does not reset them, then let each answer what it has received.
        listener?.onReadable()
        closeListener()
        for connection in Array(connections.values) { connection.drain() }
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
