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
    private var inFlight: (sequence: UInt64, isHead: Bool, keepAlive: Bool, summary: RequestSummary, started: UInt64)?
    private var sequence: UInt64 = 0
    private var phaseSince: UInt64
    private var lastPhase = HTTPParser.Phase.idle
    private var closing = false

    /// A writer holding more than this stops the next pipelined request until it drains.
    private static let maxPendingWrite = 1 << 20

    init(stream: Connection, responder: any Responder, limits: HTTPLimits, server: ServerState, context: LoopContext) {
        self.context = context
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
        if inFlight != nil || stream.pendingWriteBytes >= Self.maxPendingWrite {
            // Pipelined bytes wait for the current answer (or for a client that does not read its
            // answers); stop reading once a request's worth is queued, resume on drain.
            if parser.bufferedCount > limits.maxHeaderBytes + limits.maxBodyBytes { stream.setReading(false) }
            return
        }
        process()
    }

    func connectionDidDrain(_ connection: Connection) {
        if inFlight == nil && !closing { process() }
    }

    func connectionDidClose(_ connection: Connection) {
        server.stats.connectionsOpen.subtract(1, ordering: .relaxed)
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
                stream.write([Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)])
            case .error(let error):
                server.stats.protocolErrors.add(1, ordering: .relaxed)
                writeAndClose(Response.error(error.status, error.message))
                return
            case .request(let request):
                sequence &+= 1
                inFlight = (sequence, request.method == "HEAD", request.keepAlive && !server.isDraining,
                            server.accessLog == nil ? RequestSummary.none : RequestSummary(method: request.method, target: request.target),
                            server.accessLog == nil ? 0 : MonotonicClock.now())
                responder.respond(to: request, writer: ResponseWriter(connection: self, sequence: sequence))
            }
        }
    }

    /// Called on the loop by `ResponseWriter.send`.
    func finish(_ response: Response, sequence: UInt64) {
        guard let current = inFlight, current.sequence == sequence, !stream.isClosed else { return }
        inFlight = nil
        if response.status >= 400 { server.stats.recordError(status: response.status) }
        if let accessLog = server.accessLog { accessLog(current.summary, response, MonotonicClock.now() &- current.started) }
        let keepAlive = current.keepAlive && !server.isDraining
        stream.write(Self.serialize(response, omitBody: current.isHead, keepAlive: keepAlive, date: context.date))
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

    private func notePhase(_ now: UInt64 = MonotonicClock.now()) {
        let phase = parser.phase
        if phase != lastPhase {
            lastPhase = phase
            phaseSince = now
        }
    }

    private func writeAndClose(_ response: Response) {
        server.stats.recordError(status: response.status)
        closing = true
        stream.write(Self.serialize(response, omitBody: false, keepAlive: false, date: context.date))
        stream.closeAfterWrites()
    }

    static func serialize(_ response: Response, omitBody: Bool, keepAlive: Bool, date: [UInt8]) -> [[UInt8]] {
        var head: [UInt8] = []
        head.reserveCapacity(160 + response.headers.fields.count * 48)
        head += statusLine(response.status)
        for (name, value) in response.headers where name != "content-length" && name != "connection" {
            head += name.utf8
            head += [58, 32]
            head += value.utf8
            head += [13, 10]
        }
        head += "content-length: ".utf8
        appendDecimal(response.body.count, to: &head)
        head += "\r\ndate: ".utf8
        head += date
        head += keepAlive ? [13, 10, 13, 10] : Array("\r\nconnection: close\r\n\r\n".utf8)
        return omitBody || response.body.isEmpty ? [head] : [head, response.body]
    }

    private static let ok = Array("HTTP/1.1 200 OK\r\n".utf8)

    private static func statusLine(_ status: Int) -> [UInt8] {
        status == 200 ? ok : Array("HTTP/1.1 \(status) \(Response.reason(status))\r\n".utf8)
    }

    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value >= 10 { appendDecimal(value / 10, to: &out) }
        out.append(UInt8(48 + value % 10))
    }
}
