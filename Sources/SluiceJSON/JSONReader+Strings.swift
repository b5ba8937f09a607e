extension JSONReader {
    /// Reads a string value, checking escapes and UTF-8 (RFC 8259 §7, §8.1). Positioned at `"`.
    @inlinable
    public mutating func readString() throws(JSONError) -> String {
        // Plain ASCII becomes a String straight from the body's bytes; the rest was validated
        // while decoding, so making the String cannot substitute anything.
        try readRawString().string
    }

    /// Reads a string value as its UTF-8 bytes (for BYTES tensors), with the same checks.
    public mutating func readStringBytes() throws(JSONError) -> [UInt8] {
        guard peek() == UInt8(ascii: "\"") else { throw mismatch(expecting: "a string") }
        offset += 1
        var out: [UInt8] = []
        while true {
            guard offset < end else { throw JSONError("unterminated string", at: offset) }
            let b = bytes[offset]
            switch b {
            case UInt8(ascii: "\""):
                offset += 1
                return out
            case UInt8(ascii: "\\"):
                try readEscape(into: &out)
            case 0..<0x20:
                throw JSONError("control character in string (must be escaped)", at: offset)
            case 0x20..<0x80:
                out.append(b)
                offset += 1
            default:
                try copyUTF8Sequence(into: &out)
            }
        }
    }

    /// Copies one multi-byte UTF-8 sequence after checking it against Unicode Table 3-7:
    /// no overlong forms, no surrogates, nothing above U+10FFFF.
    private mutating func copyUTF8Sequence(into out: inout [UInt8]) throws(JSONError) {
        let lead = bytes[offset]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw JSONError("invalid UTF-8 in string", at: offset)
        }
        guard secondRange.contains(byte(offset + 1)) else { throw JSONError("invalid UTF-8 in string", at: offset) }
        for k in 2..<length where !(0x80...0xBF).contains(byte(offset + k)) {
            throw JSONError("invalid UTF-8 in string", at: offset)
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]))
        offset += length
    }

    /// Decodes one escape (positioned at its backslash), pairing UTF-16 surrogates.
    private mutating func readEscape(into out: inout [UInt8]) throws(JSONError) {
        let start = offset
        let c = byte(offset + 1)
        offset += 2
        switch c {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "/"): out.append(0x2F)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4(at: start)
            if (0xDC00...0xDFFF).contains(scalar) {
                throw JSONError("unpaired low surrogate \\u\(String(scalar, radix: 16))", at: start)
            }
            if (0xD800...0xDBFF).contains(scalar) {
                guard byte(offset) == UInt8(ascii: "\\"), byte(offset + 1) == UInt8(ascii: "u") else {
                    throw JSONError("unpaired high surrogate \\u\(String(scalar, radix: 16))", at: start)
                }
                offset += 2
                let low = try hex4(at: start)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONError("high surrogate not followed by a low surrogate", at: start)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            appendUTF8(scalar, to: &out)
        default:
            throw JSONError("invalid escape", at: start)
        }
    }

    /// Four hex digits at `offset`, consumed.
    private mutating func hex4(at escapeStart: Int) throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = byte(offset)
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw JSONError("\\u needs four hex digits", at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    private func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
