/// A small JSON parser for model files, run once per load on a loader thread. Hand-written
/// rather than `JSONSerialization` so numbers keep their integer/float distinction, errors carry
/// a byte offset, and nesting depth is bounded (a hostile file cannot overflow the stack).
struct JSONReader {
    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0
    static let maxDepth = 256

    /// Parses one JSON value filling the whole of `bytes`, or throws with the offset of the fault.
    static func parse(_ bytes: [UInt8]) throws(ModelSyntaxError) -> ModelValue {
        var reader = JSONReader(bytes: bytes)
        let value = try reader.value()
        reader.skipSpace()
        guard reader.position == bytes.count else { throw reader.fail("unexpected data after the document") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func fail(_ reason: String) -> ModelSyntaxError {
        ModelSyntaxError(offset: position, reason: reason)
    }

    private mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
    }

    private mutating func value() throws(ModelSyntaxError) -> ModelValue {
        skipSpace()
        guard position < bytes.count else { throw fail("unexpected end of file (truncated?)") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case let byte: throw fail("unexpected character '\(Character(Unicode.Scalar(byte)))'")
        }
    }

    private mutating func literal(_ word: String) throws(ModelSyntaxError) {
        let utf8 = Array(word.utf8)
        guard bytes.count - position >= utf8.count, Array(bytes[position..<position + utf8.count]) == utf8 else {
            throw fail("invalid literal")
        }
        position += utf8.count
    }

    private mutating func enter() throws(ModelSyntaxError) {
        depth += 1
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        position += 1
    }

    private mutating func object() throws(ModelSyntaxError) -> ModelValue {
        try enter()
        var members: [String: ModelValue] = [:]
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw fail("expected a member name")
            }
            let key = try string()
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            position += 1
            members[key] = try value()
            skipSpace()
            guard position < bytes.count else { throw fail("unexpected end of file (truncated?)") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            guard bytes[position] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
            position += 1
            depth -= 1
            return .object(members)
        }
    }

    private mutating func array() throws(ModelSyntaxError) -> ModelValue {
        try enter()
        var elements: [ModelValue] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try value())
            skipSpace()
            guard position < bytes.count else { throw fail("unexpected end of file (truncated?)") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            guard bytes[position] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
            position += 1
            depth -= 1
            return .array(elements)
        }
    }

    /// Model files hold ASCII names; escapes are decoded anyway so any valid JSON string reads.
    private mutating func string() throws(ModelSyntaxError) -> String {
        position += 1
        var out = ""
        var runStart = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                out += String(decoding: bytes[runStart..<position], as: UTF8.self)
                position += 1
                return out
            }
            guard byte == UInt8(ascii: "\\") else {
                position += 1
                continue
            }
            out += String(decoding: bytes[runStart..<position], as: UTF8.self)
            position += 1
            guard position < bytes.count else { break }
            switch bytes[position] {
            case UInt8(ascii: "n"): out += "\n"
            case UInt8(ascii: "t"): out += "\t"
            case UInt8(ascii: "r"): out += "\r"
            case UInt8(ascii: "b"): out += "\u{08}"
            case UInt8(ascii: "f"): out += "\u{0C}"
            case UInt8(ascii: "u"):
                guard bytes.count - position > 4,
                    let code = UInt32(String(decoding: bytes[position + 1...position + 4], as: UTF8.self), radix: 16)
                else { throw fail("invalid \\u escape") }
                out.unicodeScalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                position += 4
            case let other: out.unicodeScalars.append(Unicode.Scalar(other))
            }
            position += 1
            runStart = position
        }
        throw fail("unterminated string (truncated?)")
    }

    /// Integers without fraction or exponent stay `Int64` (indices, counts); the rest are parsed
    /// by Swift's correctly rounded `Double(_:)` from the exact text.
    private mutating func number() throws(ModelSyntaxError) -> ModelValue {
        let start = position
        var isInteger = true
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): position += 1
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"):
                isInteger = false
                position += 1
            default:
                return try finishNumber(start: start, isInteger: isInteger)
            }
        }
        return try finishNumber(start: start, isInteger: isInteger)
    }

    private func finishNumber(start: Int, isInteger: Bool) throws(ModelSyntaxError) -> ModelValue {
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger, let int = Int64(text) { return .integer(int) }
        guard let double = Double(text) else {
            throw ModelSyntaxError(offset: start, reason: "invalid number '\(text.prefix(40))'")
        }
        return .double(double)
    }
}
