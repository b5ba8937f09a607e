import CNGHTTP2
import SluiceNet
import Synchronization

/// One HTTP/2 connection: many streams at once, each request handed to the same `Responder`
/// as HTTP/1.1, answers submitted in whatever order they come back (a worker answers later,
/// on its own thread; `ResponseWriter` hops to this loop).
///
/// Confined to its loop, like `HTTPConnection`; the `HTTP2Session` it owns calls it back
/// synchronously. Its timeouts and GOAWAY are decided by its `StateMachine`. Output goes
/// through `flush`, which stops pulling frames from nghttp2 while the socket holds
/// `maxPendingWrite` unsent bytes: a client that stops reading stalls its own answers (they
/// stay as `Response` bodies, not as copies) and we stop reading it too, until the send timeout
/// resets it.
final class HTTP2Connection: ConnectionDelegate, HTTP2SessionDelegate, @unchecked Sendable {
    let loop: EventLoop
    /// Carried over TLS (ALPN chose h2): counted apart in the stats.
    let isTLS: Bool
    private let stream: Connection
    private let env: ConnectionEnvironment
    private let limits: HTTPLimits
    private var session: HTTP2Session?
    private var streams: [Int32: HTTP2Stream] = [:]
    /// Request body bytes buffered by streams whose requests are not complete yet, bounded by
    /// `limits.maxConnectionBodyBytes`.
    private var bufferedBodyBytes = 0
    private var machine: StateMachine
    /// nghttp2 is reading (it may not be re-entered) or we are writing its output.
    private var receiving = false
    private var flushing = false

    private static let maxPendingWrite = 256 * 1024
    private static let writeChunk = 64 * 1024

    init(stream: Connection, env: ConnectionEnvironment) {
        loop = stream.loop
        isTLS = stream.tls != nil
        self.stream = stream
        self.env = env
        limits = env.server.limits
        machine = StateMachine(timeouts: env.server.timeouts, now: MonotonicClock.now())
    }

    /// Starts the session: queues our SETTINGS, takes over an `Upgrade: h2c` request as stream
    /// 1 when there is one, then reads `initial` (bytes already received: the preface, or
    /// what followed the upgrade request). False when the session could not be made (the
    /// caller closes the connection).
    func start(initial: [UInt8], upgrade: HTTP2Upgrade? = nil) -> Bool {
        guard let session = HTTP2Session(delegate: self, settings: env.server.http2, maxHeaderListSize: limits.maxHeaderBytes) else { return false }
        self.session = session
        if let upgrade {
            guard session.upgrade(settingsPayload: upgrade.settings, headRequest: upgrade.request.method == "HEAD") else { return false }
            let upgraded = HTTP2Stream(id: 1, now: MonotonicClock.now())
            upgraded.method = upgrade.request.method
            streams[1] = upgraded
            machine.streamOpened()
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
        if !ok { env.server.stats.protocolErrors.add(1, ordering: .relaxed) }
        flush()
        if stream.pendingWriteBytes >= Self.maxPendingWrite { stream.setReading(false) }
    }

    func connectionDidDrain(_ connection: Connection) {
        guard !flushing else { return }
        flush()
        if stream.pendingWriteBytes < Self.maxPendingWrite { stream.setReading(true) }
    }

    func connectionDidClose(_ connection: Connection) {
        for current in streams.values where current.phase == .dispatched || current.isStreaming { current.exchange?.context.cancel() }
        streams.removeAll()
        bufferedBodyBytes = 0
        session = nil
        env.owner.closed(self)
    }

    // MARK: answers

    /// Called on the loop by `ResponseWriter.send`; a stream the client reset meanwhile is
    /// ignored.
    func finish(_ response: consuming Response, stream id: Int32) {
        guard !stream.isClosed, let current = streams[id], current.phase == .dispatched, let exchange = current.exchange else { return }
        env.server.close(exchange, answer: &response)
        submit(response, on: current)
        flush()
    }

    /// One message of a server-streaming gRPC answer (`ResponseWriter.sendMessage`): the first
    /// sends the answer's head, each is framed and queued behind what is unsent. Ignored once
    /// the stream is answered in full or gone.
    func sendPart(_ message: [UInt8], stream id: Int32) {
        guard !stream.isClosed, let current = streams[id], let exchange = current.exchange else { return }
        let framed = env.server.coding.frameGRPC(message, call: exchange.grpc ?? GRPCCall()).body
        if current.phase == .dispatched {
            var head = Response(status: 200, body: framed)
            head.headers = ContentCoding.grpcHeaders
            head.isGRPC = true
            head.requestID = exchange.context
            current.isStreaming = true
            submit(head, on: current)
        } else if current.isStreaming {
            if current.responseOffset == current.responseBody.count {
                current.responseBody = framed
                current.responseOffset = 0
            } else {
                current.responseBody.append(contentsOf: framed)
            }
            session?.resume(stream: id)
        } else {
            return
        }
        flush()
    }

    /// Ends a streaming answer (`ResponseWriter.endStream`): the status goes out as trailers
    /// after the queued messages, and the exchange closes (access log, counters). A stream
    /// that sent no message yet gets the status as an ordinary answer.
    func endStream(_ error: (any Error)?, stream id: Int32) {
        guard !stream.isClosed, let current = streams[id], let exchange = current.exchange else { return }
        var final = error.map { Response(error: $0) } ?? Response(status: 200)
        if current.phase == .dispatched {
            if error == nil { final = ContentCoding.emptyGRPCSuccess() }
            finish(final, stream: id)
            return
        }
        guard current.isStreaming else { return }
        let trailers = ContentCoding.grpcStatusFields(of: final)
        final.isGRPC = true
        env.server.close(exchange, answer: &final)
        current.isStreaming = false
        current.responseTrailers = trailers
        session?.resume(stream: id)
        flush()
    }

    private func submit(_ response: Response, on current: HTTP2Stream) {
        current.phase = .answered
        let hasBody = current.method != "HEAD" && (!response.body.isEmpty || !response.trailers.isEmpty)
        if hasBody {
            current.responseBody = response.body
            current.responseTrailers = response.trailers
        }
        let (storage, fields) = HTTP2Fields.encode(response, date: env.date.bytes)
        if session?.submitResponse(stream: current.id, storage: storage, fields: fields, hasBody: hasBody) != true {
            session?.reset(stream: current.id, code: NGHTTP2_INTERNAL_ERROR)
        }
    }

    /// Answers a stream the HTTP layer refuses (limits, timeouts) without dispatching it. When
    /// the client is still sending, the stream is reset once the answer is out.
    private func refuse(_ current: HTTP2Stream, _ error: any HTTPResponseError, clientSending: Bool = true) {
        dropBody(of: current)
        current.resetAfterAnswer = clientSending
        submit(env.server.refusal(error, grpc: current.isGRPC), on: current)
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
        var request = request
        // Streams overlap: each gets a context of its own.
        var none: RequestContext?
        let (exchange, rejection) = env.server.open(&request, over: .http2, reusing: &none)
        current.exchange = exchange
        if let rejection {
            finish(rejection, stream: current.id)
        } else {
            env.server.dispatch(
                request, exchange: exchange, writer: ResponseWriter(http2: self, stream: current.id, context: exchange.context),
                to: env.responder)
        }
    }

    private func dispatch(_ current: HTTP2Stream) {
        var headers = current.headers
        if let authority = current.authority, headers["host"] == nil { headers.add(lowercased: "host", authority) }
        var request = Request(method: current.method, target: current.path, headers: headers, body: current.body)
        request.isGRPC = current.isGRPC
        dropBody(of: current)
        dispatch(current, request: request)
    }

    /// The stream's body leaves the connection's buffers (handed to its request, refused, or
    /// the stream is gone).
    private func dropBody(of current: HTTP2Stream) {
        bufferedBodyBytes -= current.body.count
        current.body = []
    }

    // MARK: HTTP2SessionDelegate

    func sessionDidBeginRequest(stream id: Int32) {
        streams[id] = HTTP2Stream(id: id, now: MonotonicClock.now())
        machine.streamOpened()
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
        if nameString == "content-length" {
            current.declaredLength = Int(valueString)
        } else if nameString == "content-type" {
            current.isGRPC = GRPCFraming.isGRPC(contentType: value)
        }
        // nghttp2 has checked the name is a lower-case token (RFC 9113 §8.2).
        current.headers.add(lowercased: nameString, valueString)
    }

    func sessionDidReceiveHeaders(stream id: Int32, endStream: Bool) {
        guard let current = streams[id], current.phase == .head else { return }
        if current.headTooLarge {
            refuse(current, HTTPParseError.headersTooLarge(limit: limits.maxHeaderBytes), clientSending: !endStream)
        } else if let length = current.declaredLength, length > limits.maxBodyBytes {
            // Refused on the announced length, before any of the body is read.
            refuse(current, HTTPParseError.bodyTooLarge(limit: limits.maxBodyBytes), clientSending: !endStream)
        } else if endStream {
            dispatch(current)
        } else {
            // Room for what the client may send before we acknowledge it (one window), not for
            // what it announces: a thousand streams announcing 64 MiB each must not reserve
            // 64 GB. Past the window the body grows with the bytes that arrive.
            if let length = current.declaredLength { current.body.reserveCapacity(min(length, env.server.http2.initialWindowSize)) }
            current.enter(.body, at: MonotonicClock.now())
        }
    }

    func session(stream id: Int32, data: UnsafeBufferPointer<UInt8>) {
        guard let current = streams[id], current.phase == .body else { return }
        if current.body.count + data.count > limits.maxBodyBytes {
            refuse(current, HTTPParseError.bodyTooLarge(limit: limits.maxBodyBytes))
            return
        }
        // The streams together: without this bound each of 100 streams could buffer a body.
        if bufferedBodyBytes + data.count > limits.maxConnectionBodyBytes {
            refuse(current, HTTPError.connectionBodiesTooLarge(limit: limits.maxConnectionBodyBytes))
            return
        }
        current.body.append(contentsOf: data)
        bufferedBodyBytes += data.count
    }

    func sessionDidReceiveEnd(stream id: Int32) {
        guard let current = streams[id] else { return }
        if current.phase == .body { dispatch(current) }
        current.resetAfterAnswer = false
    }

    func sessionDidClose(stream id: Int32) {
        if let current = streams.removeValue(forKey: id) {
            dropBody(of: current)
            // Closed before its answer ended: whoever still works on it may stop.
            if current.phase == .dispatched || current.isStreaming { current.exchange?.context.cancel() }
        }
        if streams.isEmpty { machine.lastStreamClosed(now: MonotonicClock.now()) }
    }

    func sessionDidSendEnd(stream id: Int32) {
        guard let current = streams[id], current.resetAfterAnswer else { return }
        current.resetAfterAnswer = false
        session?.reset(stream: id, code: NGHTTP2_NO_ERROR)
    }

    func sessionDidSendErrorGoaway() {
        env.server.stats.protocolErrors.add(1, ordering: .relaxed)
    }

    func session(stream id: Int32, readBodyInto buffer: UnsafeMutableRawBufferPointer) -> (count: Int, done: Bool)? {
        guard let current = streams[id] else { return nil }
        let remaining = current.responseBody.count - current.responseOffset
        let count = min(remaining, buffer.count)
        current.responseBody.withUnsafeBytes { body in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: body[current.responseOffset..<(current.responseOffset + count)]))
        }
        current.responseOffset += count
        current.responseSent += count
        let done = current.responseOffset == current.responseBody.count && !current.isStreaming
        if done { current.responseBody = [] }
        return (count, done)
    }

    func sessionTrailers(stream id: Int32) -> Headers {
        guard let current = streams[id] else { return Headers() }
        defer { current.responseTrailers = Headers() }
        return current.responseTrailers
    }

    // MARK: timeouts and shutdown

    /// Enforces timeouts; called on every loop tick. A client that takes none of the bytes in
    /// the socket for the send timeout is reset; a stream whose body stalls gets 408; a header
    /// block that stalls blocks the whole connection (nothing may interleave with it), so that
    /// ends the connection; an answer the client's window holds back for the send timeout is
    /// reset; an idle connection gets GOAWAY and closes.
    func tick(_ now: UInt64) {
        guard !stream.isClosed, let session else { return }
        switch machine.tick(now: now, unsent: stream.pendingWriteBytes > 0, sent: stream.sentBytes) {
        case .reset:
            stream.reset()
            return
        case .goAway: session.goAway()
        case .none: break
        }
        for current in streams.values {
            let action = current.phase == .answered
                ? machine.tick(answer: &current.sending, unsent: current.responseOffset < current.responseBody.count,
                               sent: current.responseSent, now: now)
                : machine.tick(stream: current.phase, since: current.phaseSince, now: now)
            switch action {
            case .none:
                break
            case .endSession:
                env.server.stats.protocolErrors.add(1, ordering: .relaxed)
                session.terminate(code: NGHTTP2_NO_ERROR)
            case .timeOut:
                refuse(current, HTTPError.bodyTimeout)
            case .cancel:
                session.reset(stream: current.id, code: NGHTTP2_CANCEL)
            }
        }
        flush()
    }

    /// Closes at once, dropping what is queued (the loop stopped). Loop thread only.
    func close() {
        stream.close()
    }

    /// Server shutdown: GOAWAY now; streams already begun are answered, then the connection
    /// closes (`flush` sees the session finished).
    func drain() {
        // A request sent before the signal may sit unread in the socket: take it first.
        stream.onReadable()
        guard !stream.isClosed, let session, machine.drain() == .goAway else { return }
        session.goAway()
        flush()
    }
}
