/// A string read from JSON without making a `String`: the bytes between its quotes when it has
/// no escapes (the usual case for keys and datatypes), else its decoded UTF-8.
///
/// Made by `JSONReader.nextRawKey()` and `readRawString()` on the decoding thread; it points into
/// the reader's bytes, so it must not outlive them (decoders use it at once and drop it).
public struct JSONRawString {
    /// The raw text between the quotes; ignored when `decoded` is set.
    @usableFromInline let raw: UnsafeRawBufferPointer
    /// The decoded UTF-8 of a string that had escapes or non-ASCII bytes.
    @usableFromInline let decoded: [UInt8]?

    @inlinable
    init(raw: UnsafeRawBufferPointer, decoded: [UInt8]?) {
        self.raw = raw
        self.decoded = decoded
    }

    /// Calls `body` with the string's UTF-8 bytes, valid only during the call.
    @inline(__always)
    @inlinable
    public func withUTF8<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        guard let decoded else { return body(raw) }
        return decoded.withUnsafeBytes(body)
    }

    /// Whether the string is exactly `literal` (compared as UTF-8 bytes, so an escaped key such
    /// as `"na\u006De"` still equals `"name"`).
    @inline(__always)
    @inlinable
    public func equals(_ literal: StaticString) -> Bool {
        withUTF8 { bytes in
            let n = literal.utf8CodeUnitCount
            guard bytes.count == n else { return false }
            let p = literal.utf8Start
            for i in 0..<n where bytes[i] != p[i] { return false }
            return true
        }
    }

    /// So a decoder can `switch key { case "name": … }` without making a `String`.
    @inline(__always)
    @inlinable
    public static func ~= (pattern: StaticString, value: JSONRawString) -> Bool {
        value.equals(pattern)
    }

    /// The string, for messages and for values kept beyond the reader.
    @inlinable
    public var string: String {
        withUTF8 { String(decoding: $0, as: UTF8.self) }
    }
}

extension JSONReader {
    /// Reads a string value as a `JSONRawString`, with the same checks as `readString()`: no copy for
    /// plain ASCII, decoded bytes otherwise. Positioned at `"`.
    @inlinable
    public mutating func readRawString() throws(JSONError) -> JSONRawString {
        guard peek() == UInt8(ascii: "\"") else { throw mismatch(expecting: "a string") }
        var i = offset + 1
        while i < end {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[(offset + 1)..<i])
                offset = i + 1
                return JSONRawString(raw: raw, decoded: nil)
            }
            if b < 0x20 || b >= 0x80 || b == UInt8(ascii: "\\") { break }
            i += 1
        }
        let utf8 = try readStringBytes()
        return JSONRawString(raw: UnsafeRawBufferPointer(start: nil, count: 0), decoded: utf8)
    }
}
