import Glibc

/// A raw HTTP/2 client for end-to-end tests that need what real clients will not send or do
/// not show: garbage frames, two streams with different fates on one connection, the GOAWAY
/// of a shutdown. Requests are HPACK literals without indexing (no Huffman, no table); answers
/// are read as frames, whose header blocks it does not decode (the bodies say enough).
final class FrameClient {
    struct Frame {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: [UInt8]
        var endStream: Bool { flags & 0x1 != 0 }
        var text: String { String(decoding: payload, as: UTF8.self) }
    }

    static let data: UInt8 = 0, headers: UInt8 = 1, rstStream: UInt8 = 3, settings: UInt8 = 4, goaway: UInt8 = 7
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    let raw: RawClient
    private var buffer: [UInt8] = []

    /// Connects and sends the preface and a SETTINGS frame with `initialWindow` when given.
    init(port: Int, initialWindow: UInt32? = nil) throws {
        raw = try RawClient(port: port)
        var settings: [UInt8] = []
        if let w = initialWindow { settings = [0, 4, UInt8(w >> 24), UInt8(w >> 16 & 0xff), UInt8(w >> 8 & 0xff), UInt8(w & 0xff)] }
        raw.send(Self.preface + Self.frame(Self.settings, flags: 0, stream: 0, settings))
    }

    /// Grants `stream` (0: the connection) `bytes` more of flow-control window.
    func windowUpdate(stream: UInt32, _ bytes: UInt32) {
        raw.send(Self.frame(8, flags: 0, stream: stream, [UInt8(bytes >> 24 & 0x7f), UInt8(bytes >> 16 & 0xff), UInt8(bytes >> 8 & 0xff), UInt8(bytes & 0xff)]))
    }

    static func frame(_ type: UInt8, flags: UInt8, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
        let n = payload.count
        return [UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff), type, flags,
                UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
    }

    /// A HEADERS frame (END_HEADERS; END_STREAM when `endStream`).
    func request(stream: UInt32, _ method: String, _ path: String, fields: [(String, String)] = [], endStream: Bool) {
        var block: [UInt8] = []
        for (name, value) in [(":method", method), (":scheme", "http"), (":path", path), (":authority", "127.0.0.1")] + fields {
            block.append(0)
            Self.appendString(name, to: &block)
            Self.appendString(value, to: &block)
        }
        raw.send(Self.frame(Self.headers, flags: 0x4 | (endStream ? 0x1 : 0), stream: stream, block))
    }

    func send(data: [UInt8], stream: UInt32, endStream: Bool) {
        raw.send(Self.frame(Self.data, flags: endStream ? 0x1 : 0, stream: stream, data))
    }

    /// The next frame, acknowledging SETTINGS on the way; nil when the server closed.
    func next() throws -> Frame? {
        while true {
            if buffer.count >= 9 {
                let length = Int(buffer[0]) << 16 | Int(buffer[1]) << 8 | Int(buffer[2])
                if buffer.count >= 9 + length {
                    let stream = UInt32(buffer[5] & 0x7f) << 24 | UInt32(buffer[6]) << 16 | UInt32(buffer[7]) << 8 | UInt32(buffer[8])
                    let frame = Frame(type: buffer[3], flags: buffer[4], stream: stream, payload: Array(buffer[9..<(9 + length)]))
                    buffer.removeFirst(9 + length)
                    if frame.type == Self.settings && frame.flags & 0x1 == 0 {
                        raw.send(Self.frame(Self.settings, flags: 0x1, stream: 0, []))
                    }
                    return frame
                }
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = read(raw.fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n == 0 || (n < 0 && errno == ECONNRESET) { return nil }
            if n < 0 { throw RawClient.Failure.timeout }
            buffer += chunk[0..<n]
        }
    }

    /// Frames until `done` says so (that frame included) or the server closes.
    func frames(until done: (Frame) -> Bool) throws -> [Frame] {
        var seen: [Frame] = []
        while let frame = try next() {
            seen.append(frame)
            if done(frame) { break }
        }
        return seen
    }

    /// The body of `stream`'s answer in `frames`.
    static func body(of stream: UInt32, in frames: [Frame]) -> String {
        String(decoding: frames.filter { $0.type == data && $0.stream == stream }.flatMap(\.payload), as: UTF8.self)
    }

    private static func appendString(_ s: String, to out: inout [UInt8]) {
        let bytes = Array(s.utf8)
        // HPACK integer with a 7-bit prefix, Huffman bit clear (RFC 7541 §5.1).
        if bytes.count < 127 {
            out.append(UInt8(bytes.count))
        } else {
            out.append(127)
            var rest = bytes.count - 127
            while rest >= 128 {
                out.append(UInt8(rest & 0x7f | 0x80))
                rest >>= 7
            }
            out.append(UInt8(rest))
        }
        out += bytes
    }
}
