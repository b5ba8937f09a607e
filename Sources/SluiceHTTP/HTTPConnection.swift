import SluiceNet
import Synchronization

/// One HTTP/1.1 connection: parses requests, hands them to the responder one at a time (so
/// pipelined answers stay in order), writes answers, and enforces the header, body, idle and
/// send timeouts on the loop's tick. What it does when is decided by its `StateMachine`; this class
/// carries it out on the stream. Confined to its loop, except `ResponseWriter.send`, which hops.
final class HTTPConnection: ConnectionDelegate, @unchecked Sendable {
    let loop: EventLoop
    /// Carried over TLS (counted apart in the stats).
    let isTLS: Bool
    private let stream: Connection
    private let env: ConnectionEnvironment
    private var parser: HTTPParser
    private var machine: StateMachine
    /// The exchange of the request being answered (while the machine is answering).
    private var exchange: Exchange?
    /// The last exchange's context, for the next one to reuse (`ServerState.open`).
    private var spareContext: RequestContext?
    /// The last answer's head, kept for the next one: rendering into it allocates nothing while
    /// the socket took the whole write (a write left queued keeps its own copy, so the next
    /// answer starts a fresh buffer). Dropped when an answer made it large.
    private var headBuffer: [UInt8] = []
    /// Until the first bytes rule it out, this cleartext connection may be HTTP/2 with prior
    /// knowledge (they would be the client preface).
    private var sniffing: Bool

    /// A writer holding more than this stops the next pipelined request, and reading, until it
    /// drains: what a connection whose client does not read holds is this, one answer and one
    /// read, until the send timeout ends it.
    private static let maxPendingWrite = 1 << 20

    /// The most requests a connection takes in one iteration of its loop; the rest of a
    /// pipelined burst waits for the next iteration, after the other connections' events. An
    /// inline answer costs about 15 µs (a 1-row inference) and at most the inline budget
    /// (200 µs by default), so a turn holds the loop for 0.5 to 6 ms; a pipelining client pays
    /// one more `epoll_wait` per 32 answers. Bytes alone do not bound this: 256 KiB of minimal
    /// GETs are some 6,000 requests.
    static let requestsPerIteration = 32
    /// The loop iteration `requestsThisIteration` counts for.
    private var budgetIteration: UInt64 = 0
    private var requestsThisIteration = 0
    /// `process()` is to run again on the loop's next iteration (the turn was spent).
    private var resumeScheduled = false

    init(stream: Connection, env: ConnectionEnvironment, sniffsPreface: Bool) {
        loop = stream.loop
        isTLS = stream.tls != nil
        self.stream = stream
        self.env = env
        sniffing = sniffsPreface
        let limits = env.server.limits
        parser = HTTPParser(limits: .init(maxHeaderBytes: limits.maxHeaderBytes, maxBodyBytes: limits.maxBodyBytes))
        machine = StateMachine(timeouts: env.server.timeouts, now: MonotonicClock.now())
    }

    var isClosed: Bool { stream.isClosed }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        guard !machine.isClosing else { return }
        parser.append(bytes)
        if sniffing && sniffPreface() { return }
        if stream.pendingWriteBytes >= Self.maxPendingWrite {
            // A client that does not read its answers: read none of its next requests (each would
            // queue one more answer, and buffering them would hold up to a request's worth) until
            // the socket drains and the parser asks for more.
            stream.setReading(false)
            return
        }
        if !machine.isReading {
            // Pipelined bytes wait for the current answer, which may be computed on a worker for
            // a while: stop reading once more than a head's worth is buffered (the rest waits in
            // the kernel, not in our memory), resume when the parser asks for more.
            if parser.bufferedCount > parser.limits.maxHeaderBytes { stream.setReading(false) }
            return
        }
        process()
    }

    func connectionDidDrain(_ connection: Connection) {
        // Not while an answer is owed or being written: `finish` runs the parser itself once its
        // write returns.
        if machine.isReading { process() }
    }

    func connectionDidClose(_ connection: Connection) {
        env.owner.closed(self)
    }

    /// Runs the parser until it needs bytes, a request is in flight, or the connection must wait.
    private func process() {
        while machine.isReading && !stream.isClosed && stream.pendingWriteBytes < Self.maxPendingWrite {
            if parser.bufferedCount > 0 && !hasTurnLeft() {
                yieldTurn()
                return
            }
            switch parser.next() {
            case .needMore:
                machine.waiting(in: parser.phase, now: MonotonicClock.now())
                stream.setReading(true)
                return
            case .expectContinue:
                stream.write(Self.continueLine)
            case .error(let error):
                writeAndClose(env.server.refusal(error))
                return
            case .request(var request):
                requestsThisIteration &+= 1
                // h2c is cleartext only (RFC 7540 §3.2): over TLS, ALPN chooses.
                if request.wantsH2c && !isTLS && env.server.http2.enabled && !env.server.isDraining && upgrade(request) { return }
                let sequence = machine.dispatch(
                    keepAlive: request.keepAlive && !env.server.isDraining, isHead: request.method == "HEAD",
                    minorVersion: request.minorVersion)
                let (opened, rejection) = env.server.open(&request, over: .http1, reusing: &spareContext)
                exchange = opened
                if let rejection {
                    finish(rejection, sequence: sequence)
                } else {
                    env.server.dispatch(
                        request, exchange: opened, writer: ResponseWriter(connection: self, sequence: sequence, context: opened.context),
                        to: env.responder)
                }
            }
        }
    }

    /// Whether this iteration of the loop may take one more request from this connection.
    @inline(__always)
    private func hasTurnLeft() -> Bool {
        let now = loop.iteration
        if now != budgetIteration {
            budgetIteration = now
            requestsThisIteration = 0
            return true
        }
        return requestsThisIteration < Self.requestsPerIteration
    }

    /// The turn is spent with requests still buffered: stop reading (the socket keeps the rest)
    /// and parse again on the loop's next iteration, which reads again once the buffer is empty.
    private func yieldTurn() {
        stream.setReading(false)
        guard !resumeScheduled else { return }
        resumeScheduled = true
        loop.executeNextIteration { [self] in
            resumeScheduled = false
            if machine.isReading { process() }
        }
    }

    /// Whether the bytes so far are (the start of) the HTTP/2 client preface; hands the
    /// connection to HTTP/2 once all 24 bytes are in. Runs only on a connection's first reads:
    /// the first byte that differs ends the sniffing.
    private func sniffPreface() -> Bool {
        let bytes = parser.bufferedBytes
        let n = min(bytes.count, Self.preface.count)
        guard bytes.prefix(n).elementsEqual(Self.preface.prefix(n)) else {
            sniffing = false
            return false
        }
        if n == Self.preface.count { switchToHTTP2(upgrade: nil) }
        return true
    }

    /// `Upgrade: h2c` (RFC 7540 §3.2): answers 101 and hands the connection to HTTP/2, where
    /// `request` becomes stream 1. False (serve it as HTTP/1.1) without exactly one valid
    /// `HTTP2-Settings`.
    private func upgrade(_ request: Request) -> Bool {
        let values = request.headers.values("http2-settings")
        guard values.count == 1, let settings = Base64URL.decode(values[0]), settings.count % 6 == 0 else { return false }
        machine.stop()  // the drain callback of this write must not parse the HTTP/2 bytes
        stream.write(Self.switchingProtocols)
        switchToHTTP2(upgrade: (request, settings))
        return true
    }

    private func switchToHTTP2(upgrade: HTTP2Upgrade?) {
        sniffing = false
        machine.stop()
        env.owner.switchToHTTP2(from: self, stream: stream, initial: parser.takeBuffered(), upgrade: upgrade)
    }

    /// Called on the loop by `ResponseWriter.send`.
    func finish(_ response: consuming Response, sequence: UInt64) {
        guard !stream.isClosed, exchange != nil,
              case .write(let keepAlive, let omitBody, let minorVersion) = machine.answer(
                  sequence: sequence, draining: env.server.isDraining),
              let exchange = self.exchange.take()
        else { return }
        env.server.close(exchange, answer: &response)
        spareContext = exchange.context
        headBuffer.removeAll(keepingCapacity: true)
        let body = Self.serialize(
            response, omitBody: omitBody, keepAlive: keepAlive, minorVersion: minorVersion, date: env.date.bytes, into: &headBuffer)
        stream.write(headBuffer, body)
        if headBuffer.capacity > Self.keptHeadCapacity { headBuffer = [] }
        switch machine.answerWritten(now: MonotonicClock.now()) {
        case .readNext: process()
        case .closeAfterWrites: stream.closeAfterWrites()
        }
    }

    /// Enforces timeouts; called on every loop tick.
    func tick(_ now: UInt64) {
        guard !stream.isClosed else { return }
        switch machine.tick(now: now, phase: parser.phase, unsent: stream.pendingWriteBytes > 0, sent: stream.sentBytes) {
        case .none: break
        case .close: stream.close()
        case .reset: stream.reset()
        case .timeOut(let wait): writeAndClose(env.server.refusal(wait.error))
        }
    }

    /// Closes at once, dropping what is queued (the loop stopped). Loop thread only.
    func close() {
        stream.close()
    }

    /// Server shutdown: idle connections close now, busy ones after their answer.
    func drain() {
        // Bytes may already sit in the socket that the loop has not read yet: a request sent
        // before the signal deserves its answer, so read them first.
        if machine.isReading { stream.onReadable() }
        if machine.closesOnDrain(phase: parser.phase) { stream.closeAfterWrites() }
    }

    /// Writes an answer the HTTP layer gave on its own and closes after it.
    private func writeAndClose(_ response: Response) {
        machine.stop()
        // The request's version, if there was a request, changes nothing in a closing answer.
        let (head, body) = Self.serialize(response, omitBody: false, keepAlive: false, minorVersion: 1, date: env.date.bytes)
        stream.write(head, body)
        stream.closeAfterWrites()
    }

    /// The bytes of `response`: the head with `content-length`, `date` and, unless `keepAlive`,
    /// `connection: close`, then the body. The answer to an HTTP/1.0 request (`minorVersion` 0)
    /// that is kept alive says `connection: keep-alive` instead, as HTTP/1.0 closes unless both
    /// sides say so (RFC 9112 §9.3); HTTP/1.1 keeps alive without a word. A body up to
    /// `inlineBodyLimit` is copied behind the head (one buffer, one write); a larger one comes
    /// back as `body`, uncopied. The head is built from pre-rendered byte constants; a
    /// response's own `content-length` or `connection` fields are dropped, as the connection
    /// decides those.
    static func serialize(
        _ response: Response, omitBody: Bool, keepAlive: Bool, minorVersion: Int, date: [UInt8]
    ) -> (head: [UInt8], body: [UInt8]) {
        var head: [UInt8] = []
        let body = serialize(response, omitBody: omitBody, keepAlive: keepAlive, minorVersion: minorVersion, date: date, into: &head)
        return (head, body)
    }

    /// `serialize` into `head` (empty, perhaps with capacity to reuse); returns the body part.
    static func serialize(
        _ response: Response, omitBody: Bool, keepAlive: Bool, minorVersion: Int, date: [UInt8], into head: inout [UInt8]
    ) -> [UInt8] {
        let body = omitBody ? [] : response.body
        let inline = body.count <= inlineBodyLimit
        head.reserveCapacity(128 + response.headers.count * 48 + (inline ? body.count : 0))
        if response.status == 200 {
            head += ok
        } else {
            head += "HTTP/1.1 ".utf8
            appendDecimal(response.status, to: &head)
            head.append(32)
            head += Response.reason(response.status).utf8
            head += crlf
        }
        response.headers.withFields { fields in
            // Two-byte separators as single bytes: an `append(contentsOf:)` costs several
            // times more than the bytes it copies.
            for i in fields.indices where !isFramingField(fields[i].name) {
                append(fields[i].name, to: &head)
                head.append(UInt8(ascii: ":"))
                head.append(UInt8(ascii: " "))
                append(fields[i].value, to: &head)
                head.append(UInt8(ascii: "\r"))
                head.append(UInt8(ascii: "\n"))
            }
        }
        if let requestID = response.requestID {
            head += requestIDPrefix
            requestID.appendID(to: &head)
            head.append(UInt8(ascii: "\r"))
            head.append(UInt8(ascii: "\n"))
        }
        head += contentLength
        appendDecimal(response.body.count, to: &head)
        head += datePrefix
        head += date
        head += keepAlive ? (minorVersion == 0 ? keepAliveTrailer : crlfcrlf) : closeTrailer
        if inline {
            head += body
            return []
        }
        return body
    }

    /// The largest head buffer a connection keeps between answers (a typical inference answer
    /// with its body inline is well under this).
    static let keptHeadCapacity = 4096

    /// Bodies up to this many bytes travel in the head's buffer: copying them is cheaper than a
    /// second iovec and queue slot.
    static let inlineBodyLimit = 16 * 1024

    private static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
    private static let switchingProtocols = Array("HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n".utf8)
    /// The HTTP/2 client connection preface (RFC 9113 §3.4).
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    private static let ok = Array("HTTP/1.1 200 OK\r\n".utf8)
    private static let crlf: [UInt8] = [13, 10]
    private static let crlfcrlf: [UInt8] = [13, 10, 13, 10]
    private static let contentLength = Array("content-length: ".utf8)
    private static let requestIDPrefix = Array("x-request-id: ".utf8)
    private static let datePrefix = Array("\r\ndate: ".utf8)
    private static let closeTrailer = Array("\r\nconnection: close\r\n\r\n".utf8)
    private static let keepAliveTrailer = Array("\r\nconnection: keep-alive\r\n\r\n".utf8)

    /// `content-length` or `connection`, which the connection writes itself (names are stored
    /// lower-case).
    private static func isFramingField(_ name: String) -> Bool {
        let n = name.utf8.count
        return (n == 14 && name == "content-length") || (n == 10 && name == "connection")
    }

    /// Appends a string's UTF-8 in one copy (literals and native strings are contiguous).
    private static func append(_ string: String, to out: inout [UInt8]) {
        if string.utf8.withContiguousStorageIfAvailable({ out.append(contentsOf: $0) }) == nil {
            out.append(contentsOf: Array(string.utf8))
        }
    }

    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value >= 10 { appendDecimal(value / 10, to: &out) }
        out.append(UInt8(48 + value % 10))
    }
}
