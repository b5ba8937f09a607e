import Dispatch
import SluiceNet
import Synchronization

/// The application behind the HTTP layer. `respond` is called on the connection's event loop
/// for each request — one at a time on an HTTP/1.1 connection, several open at once on an
/// HTTP/2 one (a stream each); the answer goes to `writer` exactly once, from any thread, now
/// or later (a worker pool answers later), in any order.
package protocol Responder: Sendable {
    func respond(to request: Request, writer: ResponseWriter)
}

/// Where one request's response goes: an HTTP/1.1 connection's answer in sequence, one HTTP/2
/// stream, or — in tests — a recorder. Sendable: a worker thread may hold it and answer; the
/// write then hops to the connection's loop. A connection ignores a second `send`; a recorder
/// keeps it, so a test sees an endpoint that answers twice. Nothing may change the `context`
/// after `send`: the connection reads it (and may reuse it) from then on. It hands the request's
/// `context` to the application, whose additions the connection logs with the answer.
///
/// An enum rather than a protocol so the HTTP/1.1 case stays a direct call on the concrete
/// class (no existential, no extra allocation per request).
package struct ResponseWriter: Sendable {
    private enum Target: Sendable {
        case http1(HTTPConnection)
        case http2(HTTP2Connection)
        case recorder(ResponseRecorder)
        /// An offloaded request's writer (`Offload`): compresses, then sends through another.
        case compressing(Compressing)
    }

    /// The payload of `Target.compressing`: allocated only for offloaded requests.
    private final class Compressing: Sendable {
        let writer: ResponseWriter
        let coding: ContentCoding
        let acceptEncoding: String?
        /// A gRPC call's coding: its answers are framed (`finishGRPC`) instead.
        let grpc: GRPCCall?

        init(writer: ResponseWriter, coding: ContentCoding, acceptEncoding: String?, grpc: GRPCCall? = nil) {
            self.writer = writer
            self.coding = coding
            self.acceptEncoding = acceptEncoding
            self.grpc = grpc
        }
    }

    private let target: Target
    /// The HTTP/1.1 sequence number, or the HTTP/2 stream id.
    private let id: UInt64
    /// What is known about the request; handlers add to it before they answer.
    package let context: RequestContext

    init(connection: HTTPConnection, sequence: UInt64, context: RequestContext) {
        target = .http1(connection)
        id = sequence
        self.context = context
    }

    init(http2 connection: HTTP2Connection, stream: Int32, context: RequestContext) {
        target = .http2(connection)
        id = UInt64(stream)
        self.context = context
    }

    /// A writer that keeps what is sent in `recorder` instead of writing it: endpoints and
    /// flows are tested through it without sockets.
    package init(recorder: ResponseRecorder, context: RequestContext) {
        target = .recorder(recorder)
        id = 0
        self.context = context
    }

    /// This writer, compressing each answer with `coding` as `acceptEncoding` allows on the
    /// sending thread, before the hop to the loop. For requests handled off the loop.
    func compressing(with coding: ContentCoding, acceptEncoding: String?) -> ResponseWriter {
        ResponseWriter(target: .compressing(Compressing(writer: self, coding: coding, acceptEncoding: acceptEncoding)), id: id, context: context)
    }

    /// This writer, framing each answer of gRPC call `call` on the sending thread.
    func compressing(with coding: ContentCoding, grpc call: GRPCCall) -> ResponseWriter {
        ResponseWriter(target: .compressing(Compressing(writer: self, coding: coding, acceptEncoding: nil, grpc: call)), id: id, context: context)
    }

    private init(target: Target, id: UInt64, context: RequestContext) {
        self.target = target
        self.id = id
        self.context = context
    }

    /// Whether this request is handled off its loop (`Offload`), on the thread that called the
    /// responder: work the application would move off the loop can run right there.
    package var isOffloaded: Bool {
        if case .compressing = target { return true }
        return false
    }

    /// Sends the response. Any thread. Consumed: on its loop the answer is moved into the
    /// connection, not copied (a copy retains every buffer and field it holds).
    package func send(_ response: consuming Response) {
        let id = id
        switch target {
        case .http1(let connection):
            if connection.loop.inEventLoop {
                connection.finish(response, sequence: id)
                return
            }
            let hopping = response
            connection.loop.execute { connection.finish(hopping, sequence: id) }
        case .http2(let connection):
            let stream = Int32(truncatingIfNeeded: id)
            if connection.loop.inEventLoop {
                connection.finish(response, stream: stream)
                return
            }
            let hopping = response
            connection.loop.execute { connection.finish(hopping, stream: stream) }
        case .recorder(let recorder):
            recorder.record(response, context: context)
        case .compressing(let next):
            var compressed = response
            if let call = next.grpc {
                if !compressed.isGRPC { next.coding.finishGRPC(&compressed, call: call) }
            } else {
                next.coding.finish(&compressed, acceptEncoding: next.acceptEncoding)
            }
            next.writer.send(compressed)
        }
    }

    /// Answers `error` through the one error contract (`Response(error:)`). Any thread.
    package func fail(_ error: any Error) {
        send(Response(error: error))
    }

    /// Sends one message of a server-streaming gRPC answer (its head goes with the first);
    /// `endStream` ends it. Any thread. Only a gRPC call (HTTP/2) streams: elsewhere a message
    /// is dropped.
    package func sendMessage(_ message: [UInt8]) {
        switch target {
        case .http2(let connection):
            let stream = Int32(truncatingIfNeeded: id)
            if connection.loop.inEventLoop {
                connection.sendPart(message, stream: stream)
            } else {
                connection.loop.execute { connection.sendPart(message, stream: stream) }
            }
        case .recorder(let recorder):
            recorder.record(Response(status: 200, body: message), context: context)
        case .compressing(let next):
            next.writer.sendMessage(message)
        case .http1:
            break
        }
    }

    /// Ends a streaming answer with `error`'s status, or OK for nil. Any thread.
    package func endStream(_ error: (any Error)?) {
        switch target {
        case .http2(let connection):
            let stream = Int32(truncatingIfNeeded: id)
            if connection.loop.inEventLoop {
                connection.endStream(error, stream: stream)
            } else {
                connection.loop.execute { connection.endStream(error, stream: stream) }
            }
        case .compressing(let next):
            next.writer.endStream(error)
        case .recorder, .http1:
            send(error.map { Response(error: $0) } ?? ContentCoding.emptyGRPCSuccess())
        }
    }
}

/// What a recording `ResponseWriter` was sent, in order. Any thread records; a test waits.
package final class ResponseRecorder: Sendable {
    private let answers = Mutex<[(response: Response, context: RequestContext)]>([])
    /// Signalled once per answer; a waiter re-checks the list after each wake-up.
    private let arrived = DispatchSemaphore(value: 0)

    package init() {}

    func record(_ response: Response, context: RequestContext) {
        answers.withLock { $0.append((response, context)) }
        arrived.signal()
    }

    /// Everything sent so far.
    package var all: [(response: Response, context: RequestContext)] { answers.withLock { $0 } }

    /// The `index`-th answer (0 = the first), waiting up to `seconds` for a worker or a
    /// background queue to send it; nil when it does not come.
    package func answer(_ index: Int = 0, within seconds: Double = 10) -> (response: Response, context: RequestContext)? {
        let deadline = DispatchTime.now() + seconds
        while true {
            if let found = answers.withLock({ $0.count > index ? $0[index] : nil }) { return found }
            guard arrived.wait(timeout: deadline) == .success else { return answers.withLock { $0.count > index ? $0[index] : nil } }
        }
    }
}
