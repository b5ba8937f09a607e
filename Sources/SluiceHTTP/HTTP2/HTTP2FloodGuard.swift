/// What an HTTP/2 client has sent against what it has had done, counted the way nginx counts it,
/// to end a connection that floods cheap frames: frames that cost the server work to read and
/// answer but carry no request (WINDOW_UPDATE, PING, SETTINGS, PRIORITY, RST_STREAM, empty
/// DATA). A client that streams them never runs out of them, and without a limit it keeps one
/// core of the loop reading them for as long as it likes.
///
/// Two rules, either ends the connection (GOAWAY with ENHANCE_YOUR_CALM):
/// - bytes: received bytes over 8 times the payload exchanged plus 1 MiB — nginx's own rule
///   (`total_bytes / 8 > payload_bytes + 1048576`). Payload is request header blocks and DATA
///   bytes received and answer header blocks and DATA sent; padding, control frames and
///   frames nghttp2 ignores are not. It catches what the frame count cannot see (padding,
///   unknown frame types, frames on closed streams).
/// - frames: cheap frames beyond 1,000, plus 100 per request (nginx grants PRIORITY frames
///   its `concurrent_streams`, 128, per stream), plus one per KiB of payload: a client reading
///   a large answer sends a WINDOW_UPDATE per window it consumes.
///
/// Pure and stored inline in its `HTTP2Session`, which counts from nghttp2's callbacks and asks
/// `isFlooding` as each frame begins and after each read; loop-confined like the session.
struct HTTP2FloodGuard {
    private(set) var received = 0
    private(set) var payload = 0
    private(set) var cheapFrames = 0
    private(set) var requests = 0

    static let overheadRatio = 8
    static let overheadSlack = 1 << 20
    static let freeCheapFrames = 1_000
    static let cheapFramesPerRequest = 100
    static let payloadBytesPerCheapFrame = 1_024

    /// `count` bytes came from the socket.
    mutating func received(_ count: Int) {
        received += count
    }

    /// A frame header arrived (nghttp2's on_begin_frame: frames it is going to process).
    mutating func frame(type: UInt8, length: Int) {
        switch type {
        case Self.typeHeaders, Self.typeContinuation:
            payload += length
        case Self.typeData:
            // DATA payload counts as it arrives (`carried`), without its padding.
            if length == 0 { cheapFrames += 1 }
        case Self.typePriority, Self.typeRstStream, Self.typeSettings, Self.typePing, Self.typeWindowUpdate:
            cheapFrames += 1
        default:
            break
        }
    }

    /// Payload bytes received (DATA) or sent (header blocks and DATA of answers).
    mutating func carried(_ count: Int) {
        payload += count
    }

    /// A client opened a stream with a request.
    mutating func requestBegan() {
        requests += 1
    }

    /// Whether the client has sent far more than its requests and payload justify.
    var isFlooding: Bool {
        if received / Self.overheadRatio > payload + Self.overheadSlack { return true }
        let allowed = Self.freeCheapFrames + Self.cheapFramesPerRequest * requests + payload / Self.payloadBytesPerCheapFrame
        return cheapFrames > allowed
    }

    private static let typeData: UInt8 = 0x0
    private static let typeHeaders: UInt8 = 0x1
    private static let typePriority: UInt8 = 0x2
    private static let typeRstStream: UInt8 = 0x3
    private static let typeSettings: UInt8 = 0x4
    private static let typePing: UInt8 = 0x6
    private static let typeWindowUpdate: UInt8 = 0x8
    private static let typeContinuation: UInt8 = 0x9
}
