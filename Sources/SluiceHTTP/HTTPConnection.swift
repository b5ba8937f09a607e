import SluiceNet
import Synchronization

/// One HTTP/1.1 connection: parses requests, hands them to the responder one at a time (so
/// pipelined answers stay in order), writes answers, and enforces the header, body and idle
/// timeouts on the loop's tick. Confined to its loop, except `ResponseWriter.send`, which hops.
final class HTTPConnection: ConnectionDelegate, @unchecked Sendable {
    let loop: EventLoop
    private let stream: Connection
    private let responder: any Responder
    private let limits: HTTPLimits
    private let server: ServerState
    private unowned let context: LoopContext
    private var parser: HTTPParser
    private var inFlight: (sequence: UInt64, isHead: Bool, keepAlive: Bool, acceptEncoding: String?)?
    private var sequence: UInt64 = 0
    private var phaseSince: UInt64
    private var lastPhase = HTTPParser.Phase.idle
    private var closing = false
    /// Set while `finish` writes, so the drain callback inside that write does not run the
    /// parser a second time.
    private var finishing = false
    /// The last answer's head, kept for the next one: rendering into it allocates nothing while
    /// the socket took the whole write (a write left queued keeps its own copy, so the next
    /// answer starts a fresh buffer). Dropped when an answer made it large.
    private var headBuffer: [UInt8] = []
    /// Until the first bytes rule it out, this cleartext connection may be HTTP/2 with prior
    /// knowledge (they would be the client preface).
    private var sniffing: Bool
    /// Carried over TLS (counted apart in the stats).
    private let isTLS: Bool

    /// A writer holding more than this stops the next pipelined request until it drains.
    private static let maxPendingWrite = 1 << 20

    init(stream: Connection, responder: any Responder, limits: HTTPLimits, server: ServerState, context: LoopContext, sniffsPreface: Bool) {
        sniffing = sniffsPreface
        self.context = context
        isTLS = stream.tls != nil
        self.loop = stream.loop
        self.stream = stream
        self.responder = responder
        self.limits = limits
        self.server = server
        parser = HTTPParser(limits: .init(maxHeaderBytes: limits.maxHeaderBytes, maxBodyBytes: limits.maxBodyBytes))
        phaseSince = MonotonicClock.now()
    }

    var isClosed: Bool { stream.isClosed }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        guard !closing else { return }
        parser.append(bytes)
        if sniffing && sniffPreface() { return }
        if inFlight != nil || stream.pendingWriteBytes >= Self.maxPendingWrite {
            // Pipelined bytes wait for the current answer (or for a client that does not read its
            // answers); stop reading once a request's worth is queued, resume on drain.
            if parser.bufferedCount > limits.maxHeaderBytes + limits.maxBodyBytes { stream.setReading(false) }
            return
        }
        process()
    }

    func connectionDidDrain(_ connection: Connection) {
        // `finish` runs the parser itself once its write returns.
        if inFlight == nil && !closing && !finishing { process() }
    }

    func connectionDidClose(_ connection: Connection) {
        server.stats.connectionsOpen.subtract(1, ordering: .relaxed)
        if isTLS { server.stats.tlsConnectionsOpen.subtract(1, ordering: .relaxed) }
        context.remove(self)
    }

    /// Runs the parser until it needs bytes, a request is in flight, or the connection must wait.
    private func process() {
        while inFlight == nil && !closing && !stream.isClosed && stream.pendingWriteBytes < Self.maxPendingWrite {
            switch parser.next() {
            case .needMore:
                notePhase()
                stream.setReading(true)
                return
            case .expectContinue:
                stream.write(Self.continueLine)
            case .error(let error):
                server.stats.protocolErrors.add(1, ordering: .relaxed)
                writeAndClose(Response.error(error.status, error.message))
                return
            case .request(var request):
                // h2c is cleartext only (RFC 7540 §3.2): over TLS, ALPN chooses.
                if request.wantsH2c && !isTLS && server.http2.enabled && !server.isDraining && upgrade(request) { return }
                sequence &+= 1
                let preparation = server.coding.prepare(&request)
                let acceptEncoding: String?
                switch preparation {
                case .proceed(let accept): acceptEncoding = accept
                case .reject: acceptEncoding = nil
                }
                inFlight = (sequence, request.method == "HEAD", request.keepAlive && !server.isDraining, acceptEncoding)
                let requestContext = RequestContext(request, now: MonotonicClock.now())
                if case .reject(let answer) = preparation {
                    finish(answer, context: requestContext, sequence: sequence)
                } else {
                    responder.respond(to: request, writer: ResponseWriter(connection: self, sequence: sequence, context: requestContext))
                }
            }
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
        closing = true  // the drain callback of this write must not parse the HTTP/2 bytes
        stream.write(Self.switchingProtocols)
        switchToHTTP2(upgrade: (request, settings))
        return true
    }

    private func switchToHTTP2(upgrade: (request: Request, settings: [UInt8])?) {
        sniffing = false
        closing = true
        let initial = parser.takeBuffered()
        context.remove(self)
        // Still one open connection: the HTTP/2 side counts its close.
        context.startHTTP2(stream, initial: initial, upgrade: upgrade)
    }

    /// Called on the loop by `ResponseWriter.send`.
    func finish(_ response: Response, context requestContext: RequestContext, sequence: UInt64) {
        guard let current = inFlight, current.sequence == sequence, !stream.isClosed else { return }
        inFlight = nil
        var response = response
        server.conclude(&response, context: requestContext, acceptEncoding: current.acceptEncoding)
        let keepAlive = current.keepAlive && !server.isDraining
        headBuffer.removeAll(keepingCapacity: true)
        let body = Self.serialize(response, omitBody: current.isHead, keepAlive: keepAlive, date: context.date, into: &headBuffer)
        finishing = true
        stream.write(headBuffer, body)
        finishing = false
        if headBuffer.capacity > Self.keptHeadCapacity { headBuffer = [] }
        if keepAlive {
            phaseSince = MonotonicClock.now()
            lastPhase = .idle
            process()
        } else {
            closing = true
            stream.closeAfterWrites()
        }
    }

    /// Enforces timeouts; called on every loop tick.
    func tick(_ now: UInt64) {
        guard inFlight == nil, !closing, !stream.isClosed else { return }
        notePhase(now)
        let elapsed = now &- phaseSince
        switch lastPhase {
        case .idle:
            if elapsed > limits.idleTimeout { stream.close() }
        case .head:
            if elapsed > limits.headerTimeout { timeOut("request headers not received within the header timeout") }
        case .body:
            if elapsed > limits.bodyTimeout { timeOut("request body not received within the body timeout") }
        }
    }

    /// Server shutdown: idle connections close now, busy ones after their answer.
    func drain() {
        // Bytes may already sit in the socket that the loop has not read yet: a request sent
        // before the signal deserves its answer, so read them first.
        if inFlight == nil && !closing { stream.onReadable() }
        if inFlight == nil && parser.phase == .idle { stream.closeAfterWrites() }
    }

    private func timeOut(_ message: String) {
        server.stats.protocolErrors.add(1, ordering: .relaxed)
        writeAndClose(Response.error(408, message))
    }

    /// Restarts the phase clock when the parser's phase changed; reads the clock only then
    /// (this runs after every request).
    private func notePhase(_ now: UInt64? = nil) {
        let phase = parser.phase
        if phase != lastPhase {
            lastPhase = phase
            phaseSince = now ?? MonotonicClock.now()
        }
    }

    private func writeAndClose(_ response: Response) {
        server.stats.recordError(status: response.status)
        closing = true
        let (head, body) = Self.serialize(response, omitBody: false, keepAlive: false, date: context.date)
        stream.write(head, body)
        stream.closeAfterWrites()
    }

    /// The bytes of `response`: the head with `content-length`, `date` and, unless `keepAlive`,
    /// `connection: close`, then the body. A body up to `inlineBodyLimit` is copied behind the
    /// head (one buffer, one write); a larger one comes back as `body`, uncopied. The head is
    /// built from pre-rendered byte constants; a response's own `content-length` or
    /// `connection` fields are dropped, as the connection decides those.
    static func serialize(_ response: Response, omitBody: Bool, keepAlive: Bool, date: [UInt8]) -> (head: [UInt8], body: [UInt8]) {
        var head: [UInt8] = []
        let body = serialize(response, omitBody: omitBody, keepAlive: keepAlive, date: date, into: &head)
        return (head, body)
    }

    /// `serialize` into `head` (empty, perhaps with capacity to reuse); returns the body part.
    static func serialize(_ response: Response, omitBody: Bool, keepAlive: Bool, date: [UInt8], into head: inout [UInt8]) -> [UInt8] {
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
        head += contentLength
        appendDecimal(response.body.count, to: &head)
        head += datePrefix
        head += date
        head += keepAlive ? crlfcrlf : closeTrailer
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
    private static let datePrefix = Array("\r\ndate: ".utf8)
    private static let closeTrailer = Array("\r\nconnection: close\r\n\r\n".utf8)

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
