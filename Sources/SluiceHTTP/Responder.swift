import SluiceNet

/// The application behind the HTTP layer. `respond` is called on the connection's event loop
/// for each request — one at a time on an HTTP/1.1 connection, several open at once on an
/// HTTP/2 one (a stream each); the answer goes to `writer` exactly once, from any thread, now
/// or later (a worker pool answers later), in any order.
package protocol Responder: Sendable {
    func respond(to request: Request, writer: ResponseWriter)
}

/// Where one request's response goes: an HTTP/1.1 connection's answer in sequence, or one
/// HTTP/2 stream. Sendable: a worker thread may hold it and answer; the write then hops to the
/// connection's loop. A second `send` is ignored.
///
/// An enum rather than a protocol so the HTTP/1.1 case stays a direct call on the concrete
/// class (no existential, no extra allocation per request).
package struct ResponseWriter: Sendable {
    private enum Target: Sendable {
        case http1(HTTPConnection)
        case http2(HTTP2Connection)
    }

    private let target: Target
    /// The HTTP/1.1 sequence number, or the HTTP/2 stream id.
    private let id: UInt64

    init(connection: HTTPConnection, sequence: UInt64) {
        target = .http1(connection)
        id = sequence
    }

    init(http2 connection: HTTP2Connection, stream: Int32) {
        target = .http2(connection)
        id = UInt64(stream)
    }

    /// Sends the response. Any thread.
    package func send(_ response: Response) {
        let id = id
        switch target {
        case .http1(let connection):
            if connection.loop.inEventLoop {
                connection.finish(response, sequence: id)
                return
            }
            connection.loop.execute { connection.finish(response, sequence: id) }
        case .http2(let connection):
            let stream = Int32(truncatingIfNeeded: id)
            if connection.loop.inEventLoop {
                connection.finish(response, stream: stream)
                return
            }
            connection.loop.execute { connection.finish(response, stream: stream) }
        }
    }

    /// Whether the caller is on the loop that owns this request's connection (inline work is
    /// allowed there only for cheap requests).
    package var onEventLoop: Bool {
        switch target {
        case .http1(let connection): connection.loop.inEventLoop
        case .http2(let connection): connection.loop.inEventLoop
        }
    }
}
