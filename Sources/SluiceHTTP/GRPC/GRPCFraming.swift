/// gRPC's length-prefixed messages (PROTOCOL-HTTP2: `Length-Prefixed-Message`): a flag byte (0
/// plain, 1 compressed with the call's `grpc-encoding`), a 4-byte big-endian length, the
/// message. The HTTP/2 layer buffers a call's whole body, so a message split across DATA frames
/// arrives whole and several messages in one frame are told apart here.
package enum GRPCFraming {
    /// The codings a call may use, as `grpc-accept-encoding` lists them.
    package static let acceptedEncodings = "identity, deflate, gzip"

    /// One message of a body: whether it is compressed, and where its bytes are.
    struct Message: Equatable {
        var compressed: Bool
        var bytes: Range<Int>
    }

    /// The messages of `body`, in order. Throws on a flag other than 0 and 1 and on a body that
    /// ends inside a prefix or a message.
    static func messages(in body: [UInt8]) throws(GRPCError) -> [Message] {
        var found: [Message] = []
        var offset = 0
        while offset < body.count {
            guard body.count - offset >= 5 else {
                throw .malformed("the body ends inside a message prefix (\(body.count - offset) of 5 bytes)")
            }
            let flag = body[offset]
            guard flag <= 1 else { throw .malformed("compressed-flag \(flag) is neither 0 nor 1") }
            var length = 0
            for k in 1...4 { length = length << 8 | Int(body[offset + k]) }
            let start = offset + 5
            guard length <= body.count - start else {
                throw .malformed("the prefix announces \(length) bytes but \(body.count - start) follow")
            }
            found.append(Message(compressed: flag == 1, bytes: start..<(start + length)))
            offset = start + length
        }
        return found
    }

    /// `message` behind its prefix, as one buffer.
    static func frame(_ message: [UInt8], compressed: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + 5)
        let length = UInt32(truncatingIfNeeded: message.count)
        out.append(compressed ? 1 : 0)
        out.append(UInt8(truncatingIfNeeded: length >> 24))
        out.append(UInt8(truncatingIfNeeded: length >> 16))
        out.append(UInt8(truncatingIfNeeded: length >> 8))
        out.append(UInt8(truncatingIfNeeded: length))
        out.append(contentsOf: message)
        return out
    }

    /// `grpc-timeout`: at most eight digits and a unit (`H`, `M`, `S`, `m`, `u`, `n`), in
    /// nanoseconds, saturating (99,999,999 hours does not fit); nil when malformed.
    static func timeoutNanos(_ value: String) -> UInt64? {
        let bytes = Array(value.utf8)
        guard bytes.count >= 2, bytes.count <= 9, let unit = bytes.last else { return nil }
        var amount: UInt64 = 0
        for byte in bytes.dropLast() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            amount = amount * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        let scale: UInt64
        switch unit {
        case UInt8(ascii: "H"): scale = 3_600_000_000_000
        case UInt8(ascii: "M"): scale = 60_000_000_000
        case UInt8(ascii: "S"): scale = 1_000_000_000
        case UInt8(ascii: "m"): scale = 1_000_000
        case UInt8(ascii: "u"): scale = 1_000
        case UInt8(ascii: "n"): scale = 1
        default: return nil
        }
        let (nanos, overflow) = amount.multipliedReportingOverflow(by: scale)
        return overflow ? UInt64.max : nanos
    }

    /// `grpc-message`'s percent-encoding: bytes outside printable ASCII, and `%`, as `%XX`.
    static func percentEncoded(_ message: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(message.utf8.count)
        for byte in message.utf8 {
            if byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "%") {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether a `content-type` value names gRPC: `application/grpc`, alone or followed by
    /// `+format` or `;parameters`.
    static func isGRPC(contentType value: UnsafeBufferPointer<UInt8>) -> Bool {
        let prefix: StaticString = "application/grpc"
        let count = prefix.utf8CodeUnitCount
        guard value.count >= count else { return false }
        for k in 0..<count where value[k] != prefix.utf8Start[k] { return false }
        return value.count == count || value[count] == UInt8(ascii: "+") || value[count] == UInt8(ascii: ";")
    }
}
