/// A pull reader over JSON bytes (RFC 8259), for decoders that know the schema they expect and
/// want values straight into their own types, without a tree of intermediate values.
///
/// Built per document by a decoder on the thread that decodes it (an event loop for request
/// bodies, a loader thread for model files); never shared. The bytes must stay valid while
/// the reader lives (it is used inside `withUnsafeBytes`). Every method either consumes exactly
/// one syntactic element or throws `JSONError` with the byte offset; after a throw the reader
/// is not to be used again. Hostile input cannot crash it: all reads are bounds-checked,
/// nesting deeper than `maxDepth` throws, and nothing recurses.
///
/// Containers are read with `beginObject()` + `nextKey()` or `beginArray()` + `nextElement()`,
/// which handle the commas and closing brackets:
///
///     try r.beginObject()
///     while let key = try r.nextKey() { … read or `skipValue()` the value … }
///
/// The codecs call it inside their loops from other modules, so what they use per value is
/// public and `@inlinable` (and what that uses `@usableFromInline`): it inlines and specialises
/// there as it did when it lived beside them (Package.swift says why public). Error paths and
/// rare tokens stay out of line.
public struct JSONReader {
    /// Deep enough for any real request, shallow enough that no caller recursion can hurt.
    public static let defaultMaxDepth = 64

    /// The bytes read, for a decoder that re-reads a recorded range of them later.
    public let bytes: UnsafeRawBufferPointer
    /// Where reading stops (the end of the range given to `init`).
    public let end: Int
    @usableFromInline let maxDepth: Int
    /// The next byte to read.
    public var offset: Int
    /// Containers currently open.
    public var depth: Int
    /// Set by `begin…` so the first `next…` expects no comma.
    @usableFromInline var atFirst = false

    /// Reads `bytes[range]` (all of it when `range` is `nil`), as if already inside `depth`
    /// containers (for re-reading a value recorded earlier at that depth).
    @inlinable
    public init(
        _ bytes: UnsafeRawBufferPointer, range: Range<Int>? = nil, depth: Int = 0,
        maxDepth: Int = JSONReader.defaultMaxDepth
    ) {
        self.bytes = bytes
        let r = range ?? 0..<bytes.count
        self.offset = max(0, r.lowerBound)
        self.end = min(bytes.count, r.upperBound)
        self.depth = depth
        // `skipValue` tracks container kinds in one 64-bit word.
        self.maxDepth = min(maxDepth, 64)
    }

    /// The byte at `i`, or 0 past the end: 0 is never valid outside a string, so it reads as
    /// "unexpected end" wherever a token is expected.
    @inline(__always)
    @inlinable
    func byte(_ i: Int) -> UInt8 { i < end ? bytes[i] : 0 }

    /// Moves past whitespace; for decoders that record where the next value starts.
    @inline(__always)
    @inlinable
    public mutating func skipWhitespace() {
        while offset < end {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    /// The first byte of the next token (after whitespace), 0 at the end of input.
    @inlinable
    public mutating func peek() -> UInt8 {
        skipWhitespace()
        return byte(offset)
    }

    /// Whether the next value is `null`; consumes it when it is.
    @inlinable
    public mutating func skipNull() throws(JSONError) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    /// Opens an object (then read it with `nextKey()`); throws for any other value or past `maxDepth`.
    @inlinable
    public mutating func beginObject() throws(JSONError) {
        try open(UInt8(ascii: "{"), "an object")
    }

    /// Opens an array (then read it with `nextElement()`); throws for any other value or past `maxDepth`.
    @inlinable
    public mutating func beginArray() throws(JSONError) {
        try open(UInt8(ascii: "["), "an array")
    }

    @inlinable
    mutating func open(_ bracket: UInt8, _ what: String) throws(JSONError) {
        guard peek() == bracket else { throw mismatch(expecting: what) }
        guard depth < maxDepth else { throw JSONError("nesting deeper than \(maxDepth)", at: offset) }
        offset += 1
        depth += 1
        atFirst = true
    }

    /// The next key of the open object, positioned at its value; `nil` after the closing `}`.
    @inlinable
    public mutating func nextKey() throws(JSONError) -> String? {
        try nextRawKey()?.string
    }

    /// As `nextKey()`, without making a `String`: decoders that switch over known keys compare
    /// the key's bytes against literals (`case "name":`), so a request allocates nothing per key.
    /// The key is valid while the reader's bytes are.
    @inlinable
    public mutating func nextRawKey() throws(JSONError) -> JSONRawString? {
        skipWhitespace()
        let b = byte(offset)
        if atFirst {
            atFirst = false
            if b == UInt8(ascii: "}") { return close() }
        } else if b == UInt8(ascii: ",") {
            offset += 1
            skipWhitespace()
        } else if b == UInt8(ascii: "}") {
            return close()
        } else {
            throw unexpected(expecting: "',' or '}'")
        }
        guard byte(offset) == UInt8(ascii: "\"") else { throw unexpected(expecting: "a string key") }
        let key = try readRawString()
        skipWhitespace()
        guard byte(offset) == UInt8(ascii: ":") else { throw unexpected(expecting: "':'") }
        offset += 1
        return key
    }

    /// Whether the open array has another element (then positioned at it); consumes `]` when not.
    @inlinable
    public mutating func nextElement() throws(JSONError) -> Bool {
        skipWhitespace()
        let b = byte(offset)
        if atFirst {
            atFirst = false
            if b == UInt8(ascii: "]") { return close() != nil }
            return true
        }
        if b == UInt8(ascii: ",") {
            offset += 1
            return true
        }
        if b == UInt8(ascii: "]") { return close() != nil }
        throw unexpected(expecting: "',' or ']'")
    }

    /// Consumes a closing bracket already checked by the caller; always `nil`, for `nextKey`.
    @inlinable
    mutating func close() -> JSONRawString? {
        offset += 1
        depth -= 1
        return nil
    }

    /// Reads `true` or `false`; any other value throws.
    @inlinable
    public mutating func readBool() throws(JSONError) -> Bool {
        switch peek() {
        case UInt8(ascii: "t"): try literal("true"); return true
        case UInt8(ascii: "f"): try literal("false"); return false
        default: throw mismatch(expecting: "true or false")
        }
    }

    /// Consumes `word` exactly (`true`, `NaN`, …). What follows is checked by the caller's next
    /// step, so `trueish` fails there as an unexpected `i`.
    @inlinable
    mutating func literal(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        let start = word.utf8Start
        for i in 0..<n where byte(offset + i) != start[i] {
            throw JSONError("invalid literal", at: offset)
        }
        offset += n
    }

    /// Checks that only whitespace remains: a document is one value.
    @inlinable
    public mutating func finish() throws(JSONError) {
        skipWhitespace()
        guard offset >= end else { throw JSONError("unexpected data after the JSON value", at: offset) }
    }

    /// An error for a value of the wrong kind (`"2"` where a number belongs): not a syntax error
    /// when what is there starts a JSON value, `unexpected(expecting:)` otherwise. Decoders call
    /// it when they refuse a value's kind themselves; it consumes nothing.
    public func mismatch(expecting: String) -> JSONError {
        let found: String
        switch byte(offset) {
        case UInt8(ascii: "{"): found = "an object"
        case UInt8(ascii: "["): found = "an array"
        case UInt8(ascii: "\""): found = "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): found = "a boolean"
        case UInt8(ascii: "n"): found = "null"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): found = "a number"
        default: return unexpected(expecting: expecting)
        }
        return JSONError(value: "expected \(expecting), found \(found)", at: offset)
    }

    /// An error describing what was found at the current offset instead of `expecting`.
    @usableFromInline
    func unexpected(expecting: String) -> JSONError {
        guard offset < end else { return JSONError("unexpected end of input, expected \(expecting)", at: offset) }
        let b = bytes[offset]
        let found = (0x21...0x7E).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
        return JSONError("expected \(expecting), found \(found)", at: offset)
    }
}
