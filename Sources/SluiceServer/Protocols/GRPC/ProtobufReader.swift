/// Reads protobuf wire-format fields from a region of a byte buffer (the reading twin of
/// `ProtobufWriter`). Every read checks the bytes left before it moves: an offset never passes
/// `end`, and no length from the input is added to an offset before it is known to fit.
///
/// Its refusals follow swift-protobuf's `BinaryDecoder`, so a hand-written decoder refuses what
/// `Message(serializedBytes:)` refuses with the same words: a length past the end is
/// `truncated`; a varint over 10 bytes, a tag over 5 bytes or of field 0, an invalid wire type
/// or a length of 2 GiB or more is `malformedProtobuf`; a string that is not UTF-8 is
/// `invalidUTF8`. Groups (wire types 3 and 4, deprecated since proto2 and in no message Sluice
/// reads) are refused as `malformedProtobuf`, where swift-protobuf skips a well-formed one.
struct ProtobufReader {
    enum Failure: Error, CustomStringConvertible {
        case truncated, malformedProtobuf, invalidUTF8

        var description: String {
            switch self {
            case .truncated: "truncated"
            case .malformedProtobuf: "malformedProtobuf"
            case .invalidUTF8: "invalidUTF8"
            }
        }
    }

    /// Wire types: a varint, 8 bytes, a length and its bytes, 4 bytes.
    static let varint: UInt8 = 0, fixed64: UInt8 = 1, lengthDelimited: UInt8 = 2, fixed32: UInt8 = 5

    let bytes: UnsafeRawBufferPointer
    private(set) var at: Int
    let end: Int

    /// A reader of `bytes[range]`; `range` lies within `bytes`.
    init(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        self.bytes = bytes
        at = range.lowerBound
        end = range.upperBound
    }

    var isAtEnd: Bool { at >= end }

    /// The next field's number and wire type.
    mutating func tag() throws(Failure) -> (field: Int, wireType: UInt8) {
        var value: UInt32 = 0
        for i in 0..<5 {
            guard at < end else { throw .malformedProtobuf }
            let b = bytes[at]
            at += 1
            // The fifth byte holds the tag's top 4 bits (swift-protobuf's bound).
            guard i < 4 || b <= 15 else { throw .malformedProtobuf }
            value |= UInt32(b & 0x7f) << UInt32(7 * i)
            if b & 0x80 == 0 {
                let wireType = UInt8(value & 7), field = Int(value >> 3)
                guard field != 0, wireType <= Self.fixed32, wireType != 3, wireType != 4 else { throw .malformedProtobuf }
                return (field, wireType)
            }
        }
        throw .malformedProtobuf
    }

    mutating func varint() throws(Failure) -> UInt64 {
        guard at < end else { throw .truncated }
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard at < end, shift <= 63 else { throw .malformedProtobuf }
            let b = bytes[at]
            at += 1
            value |= UInt64(b & 0x7f) &<< shift
            if b & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// The region of a length-delimited field's bytes, which the reader steps over.
    mutating func lengthDelimited() throws(Failure) -> Range<Int> {
        let length = try varint()
        guard length < 0x7fff_ffff else { throw .malformedProtobuf }
        guard length <= UInt64(end - at) else { throw .truncated }
        let start = at
        at += Int(length)
        return start..<at
    }

    /// A reader of the next length-delimited field's bytes (an embedded message).
    mutating func message() throws(Failure) -> ProtobufReader {
        ProtobufReader(bytes, try lengthDelimited())
    }

    /// A length-delimited field's bytes as a string; they must be UTF-8.
    mutating func string() throws(Failure) -> String {
        try string(lengthDelimited())
    }

    /// The bytes of `range` (within this reader's buffer) as a string; they must be UTF-8.
    func string(_ range: Range<Int>) throws(Failure) -> String {
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[range]).assumingMemoryBound(to: UInt8.self)
        // Names are ASCII: checked a byte at a time, then made without the generic validation
        // `String(validating:)` runs, which costs several times more for a short name.
        var ascii = true
        for b in utf8 where b >= 0x80 {
            ascii = false
            break
        }
        if ascii { return String(decoding: utf8, as: UTF8.self) }
        guard let s = String(validating: utf8, as: UTF8.self) else { throw .invalidUTF8 }
        return s
    }

    /// The bytes of `range` (within this reader's buffer).
    func region(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[range])
    }

    /// `count` bytes of a fixed-size field, as a little-endian integer.
    mutating func fixed(_ count: Int) throws(Failure) -> UInt64 {
        guard end - at >= count else { throw .truncated }
        var value: UInt64 = 0
        for i in 0..<count { value |= UInt64(bytes[at + i]) << UInt64(8 * i) }
        at += count
        return value
    }

    /// Steps over a field of `wireType` that the message does not read (unknown, or known
    /// with another wire type, which protobuf keeps as unknown).
    mutating func skip(_ wireType: UInt8) throws(Failure) {
        switch wireType {
        case Self.varint: _ = try varint()
        case Self.fixed64: _ = try fixed(8)
        case Self.fixed32: _ = try fixed(4)
        default: _ = try lengthDelimited()
        }
    }
}
