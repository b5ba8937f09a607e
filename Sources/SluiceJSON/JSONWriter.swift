/// Writes JSON text straight into a byte array: response bodies of the codecs, metadata
/// bodies, `{"error": "…"}` bodies (`Response.error`) and the canary state file.
///
/// A value type built per body by whoever renders it, on that thread. It places commas itself
/// (a value or key after a value gets one), so callers only say what comes next; it does not
/// check that keys and values alternate — the caller's code shape does. It cannot fail: strings
/// are escaped per RFC 8259 (and DEL too, which YAML may not hold raw), and non-finite floats
/// are written as `NaN`, `Infinity` and `-Infinity`, as Python's `json` does (not strict JSON,
/// but what V2 clients read).
///
///     var w = JSONWriter()
///     w.object { w in
///         w.key("name"); w.string("fraud")
///         w.key("versions"); w.array { w in w.int(1); w.int(2) }
///     }
///     send(w.bytes)
///
/// As `JSONReader`, what encoders call per value is `@inlinable`, so it inlines into them.
public struct JSONWriter: Sendable {
    /// The text so far; complete once every container opened has been closed.
    @inlinable public var bytes: [UInt8] { storage }
    @usableFromInline var storage: [UInt8]
    @usableFromInline var needsComma = false

    @inlinable
    public init(capacity: Int = 256) {
        storage = []
        storage.reserveCapacity(capacity)
    }

    /// `s` as a JSON string literal, quotes included: the one escaper for text that is not a
    /// whole JSON body. A JSON string is also a YAML double-quoted scalar (`routes.yaml`).
    /// Called on any thread; cannot fail.
    public static func quoted(_ s: String) -> String {
        var w = JSONWriter(capacity: s.utf8.count + 2)
        w.appendQuoted(s)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// Containers by hand, for callers that cannot use the closure forms below.
    @inlinable
    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    @inlinable
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    @inlinable
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    @inlinable
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// An object whose members `body` writes (alternating `key` and a value).
    @inlinable
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        beginObject()
        body(&self)
        endObject()
    }

    /// An array whose elements `body` writes.
    @inlinable
    public mutating func array(_ body: (inout JSONWriter) -> Void) {
        beginArray()
        body(&self)
        endArray()
    }

    /// An object key; the next call writes its value.
    @inlinable
    public mutating func key(_ name: String) {
        comma()
        appendQuoted(name)
        storage.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A key written from a literal, without making or scanning a `String`: for encoders whose
    /// keys are fixed (`"model_name"`). The literal must be plain ASCII that needs no escaping.
    @inlinable
    public mutating func key(literal name: StaticString) {
        comma()
        appendQuotedLiteral(name)
        storage.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Fixed JSON text written as it is, ending where a value or key begins (`{"name":`,
    /// `,"outputs":[`): the next value or key gets no comma. For encoders that run once per
    /// request, so the text between values goes in as one copy. The caller writes the commas
    /// and brackets inside it; the literal must be valid JSON in that place.
    @inlinable
    public mutating func fragment(_ text: StaticString) {
        // Through `withUTF8Buffer`: a one-character literal has no pointer for `utf8Start`.
        text.withUTF8Buffer { utf8 in
            assert(!utf8.contains { $0 < 0x20 || $0 >= 0x80 })
            storage.append(contentsOf: utf8)
        }
        needsComma = false
    }

    /// A string value from a literal that needs no escaping (an enum's wire name), as `key(literal:)`.
    @inlinable
    public mutating func string(literal value: StaticString) {
        comma()
        appendQuotedLiteral(value)
        needsComma = true
    }

    /// A string value, escaped.
    @inlinable
    public mutating func string(_ value: String) {
        comma()
        appendQuoted(value)
        needsComma = true
    }

    /// A string from bytes that should be UTF-8 (a BYTES tensor element); invalid sequences are
    /// written as U+FFFD, because JSON text cannot carry them (binary output can).
    @inlinable
    public mutating func string(utf8 value: [UInt8]) {
        string(String(decoding: value, as: UTF8.self))
    }

    /// `true`, `false`, `null` and integers are written as JSON literals; integers in full,
    /// whatever their width.
    @inlinable
    public mutating func bool(_ value: Bool) {
        comma()
        appendASCII(value ? "true" : "false")
        needsComma = true
    }

    @inlinable
    public mutating func null() {
        comma()
        appendASCII("null")
        needsComma = true
    }

    @inlinable
    public mutating func int<T: BinaryInteger>(_ value: T) {
        comma()
        appendInteger(value)
        needsComma = true
    }

    /// An integer written as a JSON string (`"2"`), as V2 writes model versions, without making
    /// a `String` of it first.
    @inlinable
    public mutating func string<T: BinaryInteger>(integer value: T) {
        comma()
        storage.append(UInt8(ascii: "\""))
        appendInteger(value)
        storage.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Shortest text that reads back to the same `Double`, as `description` writes it
    /// (JSONWriter+Floats.swift).
    @inlinable
    public mutating func double(_ value: Double) {
        comma()
        appendDouble(value)
        needsComma = true
    }

    /// Shortest text that reads back to the same `Float` (not the `Double` widening's digits),
    /// as `description` writes it.
    @inlinable
    public mutating func float(_ value: Float) {
        comma()
        appendFloat(value)
        needsComma = true
    }

    /// Text already known to be one valid JSON value (for example a cached fragment).
    @inlinable
    public mutating func raw(_ json: [UInt8]) {
        comma()
        storage.append(contentsOf: json)
        needsComma = true
    }

    @inlinable
    mutating func open(_ bracket: UInt8) {
        comma()
        storage.append(bracket)
        needsComma = false
    }

    @inlinable
    mutating func close(_ bracket: UInt8) {
        storage.append(bracket)
        needsComma = true
    }

    @inline(__always)
    @inlinable
    mutating func comma() {
        if needsComma { storage.append(UInt8(ascii: ",")) }
    }

    /// `"text"`, for a literal that needs no escaping.
    @inlinable
    mutating func appendQuotedLiteral(_ text: StaticString) {
        storage.append(UInt8(ascii: "\""))
        text.withUTF8Buffer { utf8 in
            assert(!utf8.contains { $0 < 0x20 || $0 >= 0x80 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
            storage.append(contentsOf: utf8)
        }
        storage.append(UInt8(ascii: "\""))
    }

    /// Copied through the string's contiguous bytes: numbers' texts are small strings, whose
    /// UTF-8 view `append(contentsOf:)` would walk one byte at a time.
    @inlinable
    mutating func appendASCII(_ s: String) {
        var s = s
        s.withUTF8 { storage.append(contentsOf: $0) }
    }

    @inlinable
    mutating func appendInteger<T: BinaryInteger>(_ value: T) {
        if value == 0 {
            storage.append(UInt8(ascii: "0"))
            return
        }
        // Digits of the magnitude, least significant first, without a String per number.
        var digits: (UInt64, Bool)
        if let v = Int64(exactly: value) {
            digits = (v.magnitude, v < 0)
        } else if let v = UInt64(exactly: value) {
            digits = (v, false)
        } else {
            appendASCII(String(value))
            return
        }
        if digits.1 { storage.append(UInt8(ascii: "-")) }
        if digits.0 < 10 {
            // Dimensions, versions and labels: mostly one digit.
            storage.append(UInt8(ascii: "0") + UInt8(digits.0))
            return
        }
        // Least significant first into a stack buffer, then one copy (a UInt64 has at most 20).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var at = buffer.count
            while digits.0 > 0 {
                at -= 1
                buffer[at] = UInt8(ascii: "0") + UInt8(digits.0 % 10)
                digits.0 /= 10
            }
            storage.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[at...]))
        }
    }

    @inlinable
    mutating func appendQuoted(_ s: String) {
        storage.append(UInt8(ascii: "\""))
        // Names and keys rarely need escaping: then one bulk copy instead of an append per byte.
        let copied = s.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            for b in utf8 where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b == 0x7F {
                return false
            }
            storage.append(contentsOf: utf8)
            return true
        }
        if copied == true {
            storage.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): storage.append(UInt8(ascii: "\\")); storage.append(b)
            case UInt8(ascii: "\\"): storage.append(UInt8(ascii: "\\")); storage.append(b)
            case 0x0A: storage.append(UInt8(ascii: "\\")); storage.append(UInt8(ascii: "n"))
            case 0x0D: storage.append(UInt8(ascii: "\\")); storage.append(UInt8(ascii: "r"))
            case 0x09: storage.append(UInt8(ascii: "\\")); storage.append(UInt8(ascii: "t"))
            case 0x08: storage.append(UInt8(ascii: "\\")); storage.append(UInt8(ascii: "b"))
            case 0x0C: storage.append(UInt8(ascii: "\\")); storage.append(UInt8(ascii: "f"))
            case 0..<0x20, 0x7F:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                storage.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                storage.append(hex[Int(b >> 4)])
                storage.append(hex[Int(b & 0xF)])
            default: storage.append(b)
            }
        }
        storage.append(UInt8(ascii: "\""))
    }
}
