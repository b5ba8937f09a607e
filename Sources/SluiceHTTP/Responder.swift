import SluiceNet

/// The application behind the HTTP layer. `respond` is called on the connection's event loop
/// for each request, one at a time per connection; the answer goes to `writer` exactly once,
/// from any thread, now or later (a worker pool answers later).
package protocol Responder: Sendable {
    func respond(to request: Request, writer: ResponseWriter)
}

/// Where one request's response goes. Sendable: a worker thread may hold it and answer;
/// the write then hops to the connection's loop. A second `send` is ignored.
package struct ResponseWriter: Sendable {
    let connection: HTTPConnection
    let sequence: UInt64

    /// Sends the response. Any thread.
    package func send(_ response: Response) {
        if connection.loop.inEventLoop {
            connection.finish(response, sequence: sequence)
            return
        }
        let connection = connection
        let sequence = sequence
        connection.loop.execute { connection.finish(response, sequence: sequence) }
    }

    /// Whether the caller is on the loop that owns this request's connection (inline work is
    /// allowed there only for cheap requests).
    package var onEventLoop: Bool { connection.loop.inEventLoop }
}
