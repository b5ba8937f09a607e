/// Requests too large to handle on an event loop (README "Where inference runs"): their body's
/// content coding is undone, the responder runs (the application decodes, infers and encodes
/// there) and the answer is compressed on another thread; only the answer's write comes back
/// to the loop. The loop meanwhile keeps serving its other connections.
///
/// The thresholds are on the body as received. 64 KiB of JSON tensor is about 256 rows of 20
/// features, which take about 130 µs to decode: beyond that, decoding alone would hold the loop
/// longer than the whole inline budget (200 µs) of a request. A coded body is taken from 8 KiB,
/// since gzip shrinks JSON tensors 4 to 10 times and its 8 KiB inflate to about the same (a
/// gRPC call's message compressed under `grpc-encoding` likewise).
package struct Offload: Sendable {
    /// Bodies of at least this many bytes are handled off the loop.
    package var minBodyBytes = 64 * 1024
    /// Bodies with a `Content-Encoding` of at least this many bytes are too.
    package var minCodedBodyBytes = 8 * 1024
    /// Runs `job` on another thread, or answers through `writer` (503) when it cannot take it.
    /// Called on the loop, once per offloaded request.
    package var submit: @Sendable (_ job: @escaping @Sendable () -> Void, _ writer: ResponseWriter) -> Void

    package init(submit: @escaping @Sendable (_ job: @escaping @Sendable () -> Void, _ writer: ResponseWriter) -> Void) {
        self.submit = submit
    }

    /// Whether `request` goes off the loop. On the loop, for every request: a small body is
    /// answered by the first comparison.
    @inline(__always)
    func takes(_ request: Request) -> Bool {
        let bytes = request.body.count
        guard bytes >= minCodedBodyBytes else { return false }
        return bytes >= minBodyBytes || (request.mentionsCoding && request.headers["content-encoding"] != nil)
            || (request.isGRPC && request.headers["grpc-encoding"] != nil)
    }
}
