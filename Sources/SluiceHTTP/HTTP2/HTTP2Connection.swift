import CNGHTTP2
import SluiceNet
import Synchronization

/// One HTTP/2 connection: many streams at once, each request handed to the same `Responder`
/// as HTTP/1.1, answers submitted in whatever order they come back (a worker answers later,
/// on its own thread; `ResponseWriter` hops to this loop).
///
/// Confined to its loop, like `HTTPConnection`; the `HTTP2Session` it owns calls it back
/// synchronously. Output goes through `flush`, which stops pulling frames from nghttp2 while
/// the socket holds `maxPendingWrite` unsent bytes: a client that stops reading stalls its
/// own answers (they stay as `Response` bodies, not as copies) and we stop reading it too.
final class HTTP2Connection: ConnectionDelegate, HTTP2SessionDelegate, @unchecked Sendable {
    let loop: EventLoop
    private let stream: Connection
    private let responder: any Responder
    private let limits: HTTPLimits
    private let server: ServerState
    private unowned let context: LoopContext
    private var session: HTTP2Session?
    private var streams: [Int32: HTTP2Stream] = [:]
    /// Since when no stream has been open (for the idle timeout).
    private var idleSince: UInt64
    private var receiving = false
    private var flushing = false
    private var goingAway = false
    /// Carried over TLS (ALPN chose h2): counted apart in the stats.
    private let isTLS: Bool

    private static let maxPendingWrite = 256 * 1024
    private static let writeChunk = 64 * 1024

    init(stream: Connection, responder: any Responder, limits: HTTPLimits, server: ServerState, context: LoopContext) {
        self.loop = stream.loop
        self.stream = stream
        self.responder = responder
        self.limits = limits
        self.server = server
        self.context = context
        isTLS = stream.tls != nil
        idleSince = MonotonicClock.now()
    }

    /// Starts the session: queues our SETTINGS, takes over an `Upgrade: h2c` request as stream
    /// 1 when there is one, then reads `initial` (bytes already received: the preface, or
    /// what followed the upgrade request). False when the session could not be made (the
    /// caller closes the connection).
    func start(initial: [UInt8], upgrade: (request: Request, settings: [UInt8])? = nil) -> Bool {
        guard let session = HTTP2Session(delegate: self, settings: server.http2, maxHeaderListSize: limits.maxHeaderBytes) else { return false }
        self.session = session
        if let upgrade {
            guard session.upgrade(settingsPayload: upgrade.settings, headRequest: upgrade.request.method == "HEAD") else { return false }
            let upgraded = HTTP2Stream(id: 1, now: idleSince)
            upgraded.method = upgrade.request.method
            streams[1] = upgraded
            dispatch(upgraded, request: upgrade.request)
        }
        if !initial.isEmpty {
            initial.withUnsafeBytes { connection(stream, didRead: $0) }
        } else {
            flush()
        }
        return true
    }

    var isClosed: Bool { stream.isClosed }

    // MARK: ConnectionDelegate

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        guard let session else { return }
        receiving = true
        let ok = session.receive(bytes)
        receiving = false
        if !ok { server.stats.protocolErrors.add(1, ordering: .relaxed) }
        flush()
        if stream.pendingWriteBytes >= Self.maxPendingWrite { stream.setReading(false) }
    }

    func connectionDidDrain(_ connection: Connection) {
        guard !flushing else { return }
        flush()
        if stream.pendingWriteBytes < Self.maxPendingWrite { stream.setReading(true) }
    }

    func connectionDidClose(_ connection: Connection) {
        server.stats.connectionsOpen.subtract(1, ordering: .relaxed)
        server.stats.http2ConnectionsOpen.subtract(1, ordering: .relaxed)
        if isTLS {
            server.stats.http2TLSConnectionsOpen.subtract(1, ordering: .relaxed)
            server.stats.tlsConnectionsOpen.subtract(1, ordering: .relaxed)
        }
        streams.removeAll()
        session = nil
        context.remove(self)
    }

    // MARK: answers

    /// Called on the loop by `ResponseWriter.send`; a stream the client reset meanwhile is
    /// ignored.
    func finish(_ response: Response, context requestContext: RequestContext, stream id: Int32) {
        guard !stream.isClosed, let current = streams[id], current.phase == .dispatched else { return }
        var response = response
        server.conclude(&response, context: requestContext, acceptEncoding: current.acceptEncoding)
        submit(response, on: current)
        flush()
    }

    private func submit(_ response: Response, on current: HTTP2Stream) {
        current.phase = .answered
        let hasBody = current.method != "HEAD" && !response.body.isEmpty
        if hasBody { current.responseBody = response.body }
        let (storage, fields) = HTTP2Fields.encode(response, date: context.date)
        if session?.submitResponse(stream: current.id, storage: storage, fields: fields, hasBody: hasBody) != true {
            session?.reset(stream: current.id, code: NGHTTP2_INTERNAL_ERROR)
        }
    }

    /// Answers a stream the HTTP layer refuses (limits, timeouts) without dispatching it. When
    /// the client is still sending, the stream is reset once the answer is out.
    private func refuse(_ current: HTTP2Stream, status: Int, _ message: String, clientSending: Bool = true) {
        server.stats.protocolErrors.add(1, ordering: .relaxed)
        server.stats.recordError(status: status)
        current.body = []
        current.resetAfterAnswer = clientSending
        submit(Response.error(status, message), on: current)
    }

    /// Writes what nghttp2 has queued while the socket keeps up, then closes once the session
    /// is finished (after GOAWAY and its last stream). Not while nghttp2 is reading: it may not
    /// be re-entered, so `connection(_:didRead:)` flushes when `receive` returns.
    private func flush() {
        guard !receiving, !flushing, !stream.isClosed, let session else { return }
        flushing = true
        defer { flushing = false }
        while stream.pendingWriteBytes < Self.maxPendingWrite {
            guard let out = session.nextOutput(limit: Self.writeChunk) else {
                stream.close()
                return
            }
            if out.isEmpty { break }
            stream.write(out)
            if stream.isClosed { return }
        }
        if session.isFinished { stream.closeAfterWrites() }
    }

    private func dispatch(_ current: HTTP2Stream, request: Request) {
        current.enter(.dispatched, at: current.phaseSince)
        server.stats.http2Streams.add(1, ordering: .relaxed)
        let requestContext = RequestContext(request, now: MonotonicClock.now())
        // Content codings in the one place HTTP/1.1 uses too.
        var request = request
        switch server.coding.prepare(&request) {
        case .proceed(let acceptEncoding):
            current.acceptEncoding = acceptEncoding
            responder.respond(to: request, writer: ResponseWriter(http2: self, stream: current.id, context: requestContext))
        case .reject(let answer):
            finish(answer, context: requestContext, stream: current.id)
        }
    }

    private func dispatch(_ current: HTTP2Stream) {
        var headers = current.headers
        if let authority = current.authority, headers["host"] == nil { headers.add(lowercased: "host", authority) }
        let request = Request(method: current.method, target: current.path, headers: headers, body: current.body)
        current.body = []
        dispatch(current, request: request)
    }

    // MARK: HTTP2SessionDelegate

    func sessionDidBeginRequest(stream id: Int32) {
        streams[id] = HTTP2Stream(id: id, now: MonotonicClock.now())
    }

    func session(stream id: Int32, header name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        guard let current = streams[id], current.phase == .head, !current.headTooLarge else { return }
        current.headerListSize += name.count + value.count + 32
        if current.headerListSize > limits.maxHeaderBytes {
            current.headTooLarge = true
            current.headers = Headers()
            return
        }
        let valueString = String(decoding: value, as: UTF8.self)
        if name.first == UInt8(ascii: ":") {
            switch String(decoding: name, as: UTF8.self) {
            case ":method": current.method = valueString
            case ":path": current.path = valueString
            case ":authority": current.authority = valueString
            default: break
            }
            return
        }
        let nameString = String(decoding: name, as: UTF8.self)
        if nameString == "content-length" { current.declaredLength = Int(valueString) }
        // nghttp2 has checked the name is a lower-case token (RFC 9113 §8.2).
        current.headers.add(lowercased: nameString, valueString)
    }

    func sessionDidReceiveHeaders(stream id: Int32, endStream: Bool) {
        guard let current = streams[id], current.phase == .head else { return }
        if current.headTooLarge {
            refuse(current, status: 431, "request headers exceed \(limits.maxHeaderBytes) bytes", clientSending: !endStream)
        } else if let length = current.declaredLength, length > limits.maxBodyBytes {
            // Refused on the announced length, before any of the body is read.
            refuse(current, status: 413, "request body exceeds \(limits.maxBodyBytes) bytes", clientSending: !endStream)
        } else if endStream {
            dispatch(current)
        } else {
            if let length = current.declaredLength { current.body.reserveCapacity(length) }
            current.enter(.body, at: MonotonicClock.now())
        }
    }

    func session(stream id: Int32, data: UnsafeBufferPointer<UInt8>) {
        guard let current = streams[id], current.phase == .body else { return }
        if current.body.count + data.count > limits.maxBodyBytes {
            refuse(current, status: 413, "request body exceeds \(limits.maxBodyBytes) bytes")
            return
        }
        current.body.append(contentsOf: data)
    }

    func sessionDidReceiveEnd(stream id: Int32) {
        guard let current = streams[id] else { return }
        if current.phase == .body { dispatch(current) }
        current.resetAfterAnswer = false
    }

    func sessionDidClose(stream id: Int32) {
        streams[id] = nil
        if streams.isEmpty { idleSince = MonotonicClock.now() }
    }

    func sessionDidSendEnd(stream id: Int32) {
        guard let current = streams[id], current.resetAfterAnswer else { return }
        current.resetAfterAnswer = false
        session?.reset(stream: id, code: NGHTTP2_NO_ERROR)
    }

    func sessionDidSendErrorGoaway() {
        server.stats.protocolErrors.add(1, ordering: .relaxed)
    }

    func session(stream id: Int32, readBodyInto buffer: UnsafeMutableRawBufferPointer) -> (count: Int, done: Bool)? {
        guard let current = streams[id] else { return nil }
        let remaining = current.responseBody.count - current.responseOffset
        let count = min(remaining, buffer.count)
        current.responseBody.withUnsafeBytes { body in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: body[current.responseOffset..<(current.responseOffset + count)]))
        }
        current.responseOffset += count
        let done = current.responseOffset == current.responseBody.count
        if done { current.responseBody = [] }
        return (count, done)
    }

    // MARK: timeouts and shutdown

    /// Enforces timeouts; called on every loop tick. A stream whose body stalls gets 408; a
    /// header block that stalls blocks the whole connection (nothing may interleave with it),
    /// so that ends the connection; an idle connection gets GOAWAY and closes.
    func tick(_ now: UInt64) {
        guard !stream.isClosed, let session else { return }
        for current in streams.values {
            let elapsed = now &- current.phaseSince
            switch current.phase {
            case .head where elapsed > limits.headerTimeout:
                server.stats.protocolErrors.add(1, ordering: .relaxed)
                session.terminate(code: NGHTTP2_NO_ERROR)
            case .body where elapsed > limits.bodyTimeout:
                refuse(current, status: 408, "request body not received within the body timeout")
            default:
                break
            }
        }
        if streams.isEmpty && !goingAway && now &- idleSince > limits.idleTimeout {
            goingAway = true
            session.goAway()
        }
        flush()
    }

    /// Server shutdown: GOAWAY now; streams already begun are answered, then the connection
    /// closes (`flush` sees the session finished).
    func drain() {
        // A request sent before the signal may sit unread in the socket: take it first.
        stream.onReadable()
        guard !stream.isClosed, !goingAway, let session else { return }
        goingAway = true
        session.goAway()
        flush()
    }
}
