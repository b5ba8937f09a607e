import SluiceNet
import Synchronization

/// One request from the moment it goes to the responder until its answer leaves, on either
/// protocol: what the answer's bookkeeping needs once the request itself is gone.
struct Exchange {
    /// The request's context, which its `ResponseWriter` carries to the application too.
    let context: RequestContext
    /// The request's `Accept-Encoding`, for compressing the answer (`ContentCoding`).
    var acceptEncoding: String?
    /// Whether the request is handled off the loop (`Offload`): its codings are undone and its
    /// answer compressed there, not by `open` and `close`.
    var isOffloaded = false
    /// A gRPC call's coding, which `close` frames its answer with; nil for REST.
    var grpc: GRPCCall?
}

/// The bookkeeping of every exchange, written once for HTTP/1.1 and HTTP/2: a connection calls
/// `open` before it hands a request to the responder, `close` when the answer comes back and
/// before it writes it, and `refusal` for an answer the HTTP layer gives on its own. On the
/// connection's loop; any loop of the server (the counters are relaxed atomics).
extension ServerState {
    /// Makes `request`'s context (its id from the client's headers or a new one, and the start
    /// time) and prepares its content codings (its body is decoded in place), unless the
    /// request is one for `Offload`, which does that off the loop. `rejection` is the answer to
    /// write instead of dispatching when the codings refuse the request (415, 413, 400); it
    /// goes through `close` like any answer.
    ///
    /// `spare` is the context of the connection's previous exchange: reused when nothing holds
    /// it any more (its writer is gone), so a keep-alive connection allocates no context.
    @inline(__always)
    func open(
        _ request: inout Request, over proto: HTTPProtocol, reusing spare: inout RequestContext?
    ) -> (exchange: Exchange, rejection: Response?) {
        if proto == .http2 { stats.http2Streams.add(1, ordering: .relaxed) }
        let now = MonotonicClock.now()
        let context: RequestContext
        if var reusable = spare.take(), isKnownUniquelyReferenced(&reusable) {
            reusable.reset(for: request, now: now, keepingTarget: accessLog != nil)
            context = reusable
        } else {
            context = RequestContext(request, now: now, keepingTarget: accessLog != nil)
        }
        if let offload, offload.takes(request) {
            // A gRPC call's answer that does not come from its worker (a full queue) is framed
            // by `close`, with no coding.
            return (Exchange(context: context, acceptEncoding: nil, isOffloaded: true, grpc: request.isGRPC ? GRPCCall() : nil), nil)
        }
        if request.isGRPC {
            switch coding.prepareGRPC(&request, context: context, now: now) {
            case .proceed(let call):
                return (Exchange(context: context, acceptEncoding: nil, grpc: call), nil)
            case .reject(let answer):
                return (Exchange(context: context, acceptEncoding: nil, grpc: GRPCCall()), answer)
            }
        }
        switch coding.prepare(&request) {
        case .proceed(let acceptEncoding):
            return (Exchange(context: context, acceptEncoding: acceptEncoding), nil)
        case .reject(let answer):
            return (Exchange(context: context, acceptEncoding: nil), answer)
        }
    }

    /// The answer to `exchange` is about to be written: compresses it as the request allows,
    /// counts an error status, logs one of our own faults (a 500) with the request id, writes the
    /// access log line, and echoes the request id.
    @inline(__always)
    func close(_ exchange: Exchange, answer response: inout Response) {
        if !response.isGRPC {
            if let call = exchange.grpc {
                coding.finishGRPC(&response, call: call)
            } else if !exchange.isOffloaded {
                coding.finish(&response, acceptEncoding: exchange.acceptEncoding)
            }
        }
        if response.status >= 400 {
            stats.recordError(status: response.status)
            // Our own faults only: a shed request (503) or a refused one is no fault to log.
            if response.status == 500, let failure = response.failure, let faultLog { faultLog(exchange.context, failure) }
        }
        if let accessLog { accessLog(exchange.context, response, MonotonicClock.now() &- exchange.context.started) }
        response.requestID = exchange.context
    }

    /// Hands an opened request to `responder`: on the loop, or for an offloaded exchange on
    /// `offload`'s thread, after undoing its codings there, with a writer that compresses the
    /// answer there too.
    @inline(__always)
    func dispatch(_ request: Request, exchange: Exchange, writer: ResponseWriter, to responder: any Responder) {
        guard exchange.isOffloaded, let offload else {
            responder.respond(to: request, writer: writer)
            return
        }
        let coding = coding
        offload.submit({
            var request = request
            if request.isGRPC {
                switch coding.prepareGRPC(&request, context: writer.context, now: writer.context.started) {
                case .proceed(let call):
                    responder.respond(to: request, writer: writer.compressing(with: coding, grpc: call))
                case .reject(let answer):
                    writer.send(answer)
                }
                return
            }
            switch coding.prepare(&request) {
            case .proceed(let acceptEncoding):
                responder.respond(to: request, writer: writer.compressing(with: coding, acceptEncoding: acceptEncoding))
            case .reject(let answer):
                writer.send(answer)
            }
        }, writer)
    }

    /// An answer the HTTP layer gives without the responder (a parse error, a limit, a
    /// timeout): counted as a protocol error and by its status. It belongs to no exchange, so
    /// it is not in the access log.
    func refusal(_ error: any HTTPResponseError, grpc: Bool = false) -> Response {
        stats.protocolErrors.add(1, ordering: .relaxed)
        stats.recordError(status: error.status)
        var answer = Response(error: error)
        if grpc { coding.finishGRPC(&answer, call: GRPCCall()) }
        return answer
    }
}
