/// One request/response exchange on an HTTP/2 connection, from its HEADERS to its close.
/// Owned by its `HTTP2Connection` and touched only on that connection's loop.
final class HTTP2Stream {
    enum Phase {
        /// Header fields are arriving.
        case head
        /// The head is complete; body bytes are arriving.
        case body
        /// The request went to the responder; its answer is owed.
        case dispatched
        /// The answer is submitted (or the stream was refused with one).
        case answered
    }

    let id: Int32
    var phase = Phase.head
    /// When `phase` last changed (for the header and body timeouts).
    var phaseSince: UInt64
    var method = ""
    var path = ""
    var authority: String?
    var headers = Headers(capacity: 8)
    /// Bytes of the header list as RFC 9113 §6.5.2 counts them (name + value + 32 per field).
    var headerListSize = 0
    /// Why the head is refused before dispatch (431), decided while fields arrive.
    var headTooLarge = false
    /// A `content-length` field, when one was sent and parses.
    var declaredLength: Int?
    var body: [UInt8] = []
    /// A gRPC call (`content-type: application/grpc…`): its refusals are gRPC answers too.
    var isGRPC = false
    /// The answer's body and how much of it DATA frames have taken.
    var responseBody: [UInt8] = []
    /// Fields sent after the body (a gRPC call's status).
    var responseTrailers = Headers()
    /// A server-streaming answer still open (`HTTP2Connection.sendPart`): an empty
    /// `responseBody` means "more to come", not "done".
    var isStreaming = false
    /// Body bytes DATA frames have taken over the stream's life (`responseOffset` restarts with
    /// each part of a streaming answer): the send timeout's measure of progress.
    var responseSent = 0
    var responseOffset = 0
    /// The send timeout's clock of the answer's body, which the client's flow-control window
    /// may hold back (`responseOffset` is its progress).
    var sending = SendProgress()
    /// Answered before the client finished sending: reset with NO_ERROR once the answer is
    /// out, so the client stops (RFC 9113 §8.1).
    var resetAfterAnswer = false
    /// From dispatch: what the answer's bookkeeping needs.
    var exchange: Exchange?

    init(id: Int32, now: UInt64) {
        self.id = id
        phaseSince = now
    }

    func enter(_ next: Phase, at now: UInt64) {
        phase = next
        phaseSince = now
    }
}
