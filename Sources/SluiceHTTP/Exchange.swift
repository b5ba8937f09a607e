import SluiceNet
import Synchronization

/// One request from the moment it goes to the responder until its answer leaves, on either
/// protocol: what the answer's bookkeeping needs once the request itself is gone.
struct Exchange {
    /// Method and target for the access log (empty without one).
    var summary: RequestSummary
    /// Monotonic nanoseconds at dispatch, for the access log's duration (0 without one).
    var started: UInt64
    /// The request's `Accept-Encoding`, for compressing the answer (`ContentCoding`).
    var acceptEncoding: String?

    static let none = Exchange(summary: .none, started: 0, acceptEncoding: nil)
}

/// The bookkeeping of every exchange, written once for HTTP/1.1 and HTTP/2: a connection calls
/// `open` before it hands a request to the responder, `close` when the answer comes back and
/// before it writes it, and `refusal` for an answer the HTTP layer gives on its own. On the
/// connection's loop; any loop of the server (the counters are relaxed atomics).
extension ServerState {
    /// Prepares `request`'s content codings (its body is decoded in place) and, with an access
    /// log, takes its summary and the start time. `rejection` is the answer to write instead of
    /// dispatching when the codings refuse the request (415, 413, 400); it goes through `close`
    /// like any answer.
    @inline(__always)
    func open(_ request: inout Request, over proto: HTTPProtocol) -> (exchange: Exchange, rejection: Response?) {
        if proto == .http2 { stats.http2Streams.add(1, ordering: .relaxed) }
        var exchange = Exchange.none
        if accessLog != nil {
            exchange.summary = RequestSummary(method: request.method, target: request.target)
            exchange.started = MonotonicClock.now()
        }
        switch coding.prepare(&request) {
        case .proceed(let acceptEncoding):
            exchange.acceptEncoding = acceptEncoding
            return (exchange, nil)
        case .reject(let answer):
            return (exchange, answer)
        }
    }

    /// The answer to `exchange` is about to be written: compresses it as the request allows,
    /// counts an error status, and writes the access log line.
    @inline(__always)
    func close(_ exchange: Exchange, answer response: inout Response) {
        coding.finish(&response, acceptEncoding: exchange.acceptEncoding)
        if response.status >= 400 { stats.recordError(status: response.status) }
        if let accessLog { accessLog(exchange.summary, response, MonotonicClock.now() &- exchange.started) }
    }

    /// An answer the HTTP layer gives without the responder (a parse error, a limit, a
    /// timeout): counted as a protocol error and by its status. It belongs to no exchange, so
    /// it is not in the access log.
    func refusal(_ status: Int, _ message: String) -> Response {
        stats.protocolErrors.add(1, ordering: .relaxed)
        stats.recordError(status: status)
        return Response.error(status, message)
    }
}
