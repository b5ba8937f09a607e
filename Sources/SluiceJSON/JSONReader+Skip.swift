extension JSONReader {
    /// Skips one value of any kind, checking its syntax as strictly as reading it would. Used for
    /// fields a decoder does not know and for values it must read later (tensor `data` that comes
    /// before its `datatype`). `allowNonFinite` admits `NaN`/`Infinity`/`-Infinity` as numbers.
    ///
    /// A loop, not recursion: the open containers' kinds live in one bit each of a 64-bit word,
    /// which is why `maxDepth` is at most 64.
    public mutating func skipValue(allowNonFinite: Bool = false) throws(JSONError) {
        var objectBits: UInt64 = 0
        var level = 0
        nextValue: while true {
            skipWhitespace()
            let b = byte(offset)
            switch b {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth + level < maxDepth else {
                    throw JSONError("nesting deeper than \(maxDepth)", at: offset)
                }
                let isObject = b == UInt8(ascii: "{")
                let bit = UInt64(1) << UInt64(level)
                objectBits = isObject ? objectBits | bit : objectBits & ~bit
                offset += 1
                level += 1
                skipWhitespace()
                if byte(offset) == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    offset += 1
                    level -= 1
                } else {
                    if isObject { try skipKeyAndColon() }
                    continue nextValue
                }
            case UInt8(ascii: "\""):
                _ = try readStringBytes()
            case UInt8(ascii: "t"):
                try literal("true")
            case UInt8(ascii: "f"):
                try literal("false")
            case UInt8(ascii: "n"):
                try literal("null")
            default:
                if allowNonFinite, try readNonFinite() != nil { break }
                _ = try scanNumber()
            }
            // A value is done: close what it closes, or move past the comma to the next value.
            while level > 0 {
                skipWhitespace()
                let isObject = objectBits & (UInt64(1) << UInt64(level - 1)) != 0
                let c = byte(offset)
                if c == UInt8(ascii: ",") {
                    offset += 1
                    if isObject { try skipKeyAndColon() }
                    continue nextValue
                }
                guard c == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                    throw unexpected(expecting: isObject ? "',' or '}'" : "',' or ']'")
                }
                offset += 1
                level -= 1
            }
            return
        }
    }

    private mutating func skipKeyAndColon() throws(JSONError) {
        skipWhitespace()
        guard byte(offset) == UInt8(ascii: "\"") else { throw unexpected(expecting: "a string key") }
        _ = try readStringBytes()
        skipWhitespace()
        guard byte(offset) == UInt8(ascii: ":") else { throw unexpected(expecting: "':'") }
        offset += 1
    }
}
