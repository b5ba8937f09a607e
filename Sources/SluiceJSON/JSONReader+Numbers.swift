#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One number token, checked against the RFC 8259 grammar, with its significant digits when they
/// fit in 19 (for the exact fast path below).
@usableFromInline
struct NumberToken {
    @usableFromInline var start: Int
    @usableFromInline var end: Int
    @usableFromInline var negative: Bool
    /// No fraction and no exponent.
    @usableFromInline var isInteger: Bool
    @usableFromInline var mantissa: UInt64
    /// More than 19 significant digits: `mantissa` and `exponent` are not exact.
    @usableFromInline var truncated: Bool
    /// The value is `mantissa × 10^exponent` when not truncated.
    @usableFromInline var exponent: Int

    /// An empty token at `start`, before its first character is scanned.
    @inlinable
    init(at start: Int) {
        (self.start, end, negative, isInteger) = (start, start, false, true)
        (mantissa, truncated, exponent) = (0, false, 0)
    }
}

extension JSONReader {
    /// Reads a number as a `Double`. With `allowNonFinite`, also the tokens `NaN`, `Infinity` and
    /// `-Infinity` (Python's `json` writes them). A literal beyond `Double`'s range (`1e999`)
    /// throws rather than becoming infinity.
    @inlinable
    public mutating func readDouble(allowNonFinite: Bool = false) throws(JSONError) -> Double {
        if allowNonFinite, let special = try readNonFinite() { return special }
        return try double(try scanNumber())
    }

    /// The `Double` nearest to a scanned token; throws when it is beyond `Double`'s range.
    @inline(__always)
    @inlinable
    func double(_ t: NumberToken) throws(JSONError) -> Double {
        if !t.truncated, t.mantissa == 0 { return t.negative ? -0.0 : 0.0 }
        // Clinger's fast path: both operands exact, so one IEEE operation rounds correctly.
        if !t.truncated, t.mantissa <= 1 << 53, (-22...22).contains(t.exponent) {
            let m = Double(t.mantissa)
            let v = t.exponent >= 0 ? m * Self.doublePower(t.exponent) : m / Self.doublePower(-t.exponent)
            return t.negative ? -v : v
        }
        return try strtodToken(t)
    }

    /// `double` for the tokens its fast path leaves: out of line, as the C library is not
    /// visible to the modules that inline the reader.
    @usableFromInline
    func strtodToken(_ t: NumberToken) throws(JSONError) -> Double {
        let v = withToken(t) { strtod($0, nil) }
        guard v.isFinite else { throw JSONError(value: "\(text(t)) is out of range for a 64-bit float", at: t.start) }
        return v
    }

    /// Reads a number as a `Float`, rounded once from the decimal text (not through `Double`).
    /// Small enough to inline into a tensor's element loop; what the one-pass path leaves goes
    /// to `readFloatToken`.
    @inline(__always)
    @inlinable
    public mutating func readFloat(allowNonFinite: Bool = false) throws(JSONError) -> Float {
        if let f = readPlainFloat() { return f }
        return try readFloatToken(allowNonFinite: allowNonFinite)
    }

    /// `readFloat` for every number the one-pass path does not take: exponents, more than 19
    /// digits, values near a halfway point, non-finite tokens and errors.
    @inline(never)
    @usableFromInline
    mutating func readFloatToken(allowNonFinite: Bool) throws(JSONError) -> Float {
        if allowNonFinite, let special = try readNonFinite() { return Float(special) }
        let t = try scanNumber()
        if !t.truncated, t.mantissa == 0 { return t.negative ? -0.0 : 0.0 }
        if !t.truncated, t.mantissa <= 1 << 24, (-10...10).contains(t.exponent) {
            let m = Float(t.mantissa)
            let p = Float(Self.doublePower(abs(t.exponent)))
            let v = t.exponent >= 0 ? m * p : m / p
            return t.negative ? -v : v
        }
        // Python writes FP32 data as the double's repr (17 digits), too many for the exact path
        // above and slow through strtof. A double estimate is within 2 ulps of the decimal, so
        // narrowing it rounds correctly unless it lies near a halfway point between two floats.
        if !t.truncated, (-22...22).contains(t.exponent) {
            let m = Double(t.mantissa)
            let d = t.exponent >= 0 ? m * Self.doublePower(t.exponent) : m / Self.doublePower(-t.exponent)
            if let f = Self.narrowUnlessNearHalfway(d) { return t.negative ? -f : f }
        }
        let v = withToken(t) { strtof($0, nil) }
        guard v.isFinite else { throw JSONError(value: "\(text(t)) is out of range for a 32-bit float", at: t.start) }
        return v
    }

    /// The common case of `readFloat` in one pass: `-?digits(.digits)?` with at most 19 digits and
    /// no exponent (what `Float.description` and most clients write), converted exactly as the
    /// general path would. `nil`, with nothing consumed, for anything else — other syntax,
    /// errors and hard cases are the general path's, so messages and results do not change.
    @inline(__always)
    @inlinable
    mutating func readPlainFloat() -> Float? {
        skipWhitespace()
        var i = offset
        let negative = byte(i) == UInt8(ascii: "-")
        if negative { i += 1 }
        var b = byte(i)
        guard Self.isDigit(b) else { return nil }
        var mantissa: UInt64 = 0
        var digits = 0
        if b == UInt8(ascii: "0") {
            i += 1
            b = byte(i)
            // Leading zeros are an error the general path reports.
            if Self.isDigit(b) { return nil }
        } else if !Self.isDigit(byte(i + 1)) {
            // One integer digit, as in most feature values: no word to load and convert.
            mantissa = UInt64(b &- UInt8(ascii: "0"))
            digits = 1
            i += 1
            b = byte(i)
        } else {
            let runEnd = digitRun(from: i, into: &mantissa)
            digits += runEnd - i
            i = runEnd
            b = byte(i)
        }
        var exponent = 0
        if b == UInt8(ascii: ".") {
            i += 1
            b = byte(i)
            guard Self.isDigit(b) else { return nil }
            let runEnd = digitRun(from: i, into: &mantissa)
            digits += runEnd - i
            exponent -= runEnd - i
            i = runEnd
            b = byte(i)
        }
        // More than 19 digits may have wrapped the mantissa; exponents are rare enough to leave.
        guard digits <= 19, b != UInt8(ascii: "e"), b != UInt8(ascii: "E") else { return nil }
        let value: Float
        if mantissa == 0 {
            value = 0
        } else if mantissa <= 1 << 24, exponent >= -10 {
            // Both operands exact in Float, so the one division rounds correctly.
            value = Float(mantissa) / Float(Self.doublePower(-exponent))
        } else if exponent >= -22, let f = Self.narrowUnlessNearHalfway(
            Double(mantissa) / Self.doublePower(-exponent),
            // One correctly rounded division of exact operands is within half an ulp of the
            // decimal. 17 digits (Python's repr of a float32 widened to double) do not fit 53
            // bits: rounding the mantissa adds under one ulp more, under 2.5 in all, hence 4.
            withinUlps: mantissa <= 1 << 53 ? 2 : 4)
        {
            value = f
        } else {
            return nil
        }
        offset = i
        return negative ? -value : value
    }

    /// Accumulates the decimal digits from `start` into `mantissa` (wrapping; the caller counts
    /// digits and refuses more than 19) and returns the index after the last one. Eight bytes
    /// at a time while eight are there (Python writes 17 digits per FP32 value): a word of
    /// digits converts whole, and a word that holds fewer converts its leading ones, so a run
    /// ends without a loop per byte. Near the end of the input, one byte at a time.
    @inline(__always)
    @inlinable
    func digitRun(from start: Int, into mantissa: inout UInt64) -> Int {
        var i = start
        while i + 8 <= end {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let n = Self.leadingDigitCount(word)
            if n == 8 {
                mantissa = mantissa &* 100_000_000 &+ Self.digitValue(word)
                i += 8
                continue
            }
            if n > 0 {
                // The n digits moved to the top bytes, zeros below: leading zeros of the same number.
                mantissa = mantissa &* Self.integerPower(n) &+ Self.digitValue(word << UInt64(64 - 8 * n))
            }
            return i + n
        }
        while i < end, Self.isDigit(bytes[i]) {
            mantissa = mantissa &* 10 &+ UInt64(bytes[i] &- UInt8(ascii: "0"))
            i += 1
        }
        return i
    }

    /// How many of the eight bytes of `word`, from its low (first) byte, are ASCII digits
    /// before the first that is not. SWAR: a byte is a digit when subtracting '0' leaves it
    /// below 10, which adding 0x76 shows in its top bit.
    @inline(__always)
    @inlinable
    static func leadingDigitCount(_ word: UInt64) -> Int {
        let low = word &- 0x3030_3030_3030_3030
        // A byte below '0' borrows from the next, but only after a non-digit has been seen.
        let nonDigit = (low | (low &+ 0x7676_7676_7676_7676) | word) & 0x8080_8080_8080_8080
        return nonDigit.trailingZeroBitCount >> 3
    }

    /// The value of up to eight ASCII digits packed little-endian in `word` (first digit in the
    /// low byte), where a zero byte stands for a leading zero digit. Three multiply-shift steps
    /// pair the digits up into 2-, 4- and 8-digit numbers.
    @inline(__always)
    @inlinable
    static func digitValue(_ word: UInt64) -> UInt64 {
        var v = word & 0x0F0F_0F0F_0F0F_0F0F
        v = (v &* 2561) >> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
        return ((v & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32
    }

    /// 10^n for n in 0...8. A switch, not a `static let` array: the modules that inline the
    /// reader turn it into a constant table, where an array would cost a call to its global's
    /// addressor (and once-check) per number.
    @inlinable @inline(__always)
    static func integerPower(_ n: Int) -> UInt64 {
        switch n {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        case 8: 100_000_000
        default: 0
        }
    }

    /// `Float(d)` for a `d` within `margin` of its ulps of the decimal, unless `d` lies within
    /// `margin` ulps of a halfway point between two floats; `nil` then, and outside Float's
    /// normal range (the general path decides those). Narrowing drops Double's low 29
    /// significand bits, and the halfway point is where they are exactly 2^28: one integer
    /// test instead of computing both neighbours. Only for the plain-float path, whose values
    /// (at least 1e-22, below 1e19) are far from subnormal and overflowing floats.
    @inline(__always)
    @inlinable
    static func narrowUnlessNearHalfway(_ d: Double, withinUlps margin: Int64) -> Float? {
        let dropped = Int64(d.bitPattern & 0x1FFF_FFFF)
        guard abs(dropped - 0x1000_0000) > margin else { return nil }
        let f = Float(d)
        return f.isNormal ? f : nil
    }

    /// `Float(d)` when every value within 4 ulps of `d` rounds to the same float; `nil` near a
    /// halfway point and outside the normal range (zero, subnormal, overflow), left to strtof.
    private static func narrowUnlessNearHalfway(_ d: Double) -> Float? {
        let f = Float(d)
        guard f.isNormal else { return nil }
        let margin = 4 * d.ulp
        let here = Double(f)
        let halfwayUp = (here + Double(f.nextUp)) / 2
        let halfwayDown = (here + Double(f.nextDown)) / 2
        guard abs(d - halfwayUp) > margin, abs(d - halfwayDown) > margin else { return nil }
        return f
    }

    /// Reads an integer that must fit `T` exactly: `1.5`, `1e3` and out-of-range values throw.
    @inlinable
    public mutating func readInteger<T: FixedWidthInteger>(_: T.Type = T.self) throws(JSONError) -> T {
        let t = try scanNumber()
        guard t.isInteger else { throw JSONError(value: "\(text(t)) is not an integer", at: t.start) }
        guard let value = integer(t, as: T.self) else {
            throw JSONError(value: "\(text(t)) is out of range", at: t.start)
        }
        return value
    }

    /// The value of a scanned integer token when `T` holds it exactly, `nil` otherwise.
    @inline(__always)
    @inlinable
    func integer<T: FixedWidthInteger>(_ t: NumberToken, as _: T.Type) -> T? {
        var magnitude: UInt64 = 0
        var i = t.negative ? t.start + 1 : t.start
        var overflow = false
        while i < t.end, !overflow {
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(bytes[i] &- UInt8(ascii: "0")))
            magnitude = s
            overflow = o1 || o2
            i += 1
        }
        let value: T?
        if overflow {
            value = nil
        } else if t.negative {
            if magnitude == 0 {
                value = 0
            } else if magnitude <= UInt64(Int64.max) {
                value = T(exactly: -Int64(magnitude))
            } else if magnitude == UInt64(Int64.max) + 1 {
                value = T(exactly: Int64.min)
            } else {
                value = nil
            }
        } else {
            value = T(exactly: magnitude)
        }
        return value
    }

    /// Reads a non-negative `Int` (a dimension, a size); other numbers throw.
    @inlinable
    public mutating func readInt() throws(JSONError) -> Int {
        try readInteger(Int.self)
    }

    /// `NaN`, `Infinity` or `-Infinity` when one is next; `nil` (nothing consumed) otherwise.
    @inlinable
    mutating func readNonFinite() throws(JSONError) -> Double? {
        switch peek() {
        case UInt8(ascii: "N"):
            try literal("NaN")
            return .nan
        case UInt8(ascii: "I"):
            try literal("Infinity")
            return .infinity
        case UInt8(ascii: "-") where byte(offset + 1) == UInt8(ascii: "I"):
            try literal("-Infinity")
            return -.infinity
        default:
            return nil
        }
    }

    /// Scans one number token (RFC 8259 §6): `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    /// No `+` sign, no leading zeros, no bare `.` or exponent.
    @inlinable
    mutating func scanNumber() throws(JSONError) -> NumberToken {
        skipWhitespace()
        var t = NumberToken(at: offset)
        var i = offset
        var significant = 0
        if byte(i) == UInt8(ascii: "-") {
            t.negative = true
            i += 1
        }
        let first = byte(i)
        guard Self.isDigit(first) else {
            if t.negative { throw JSONError("expected a digit after '-'", at: i) }
            throw mismatch(expecting: "a number")
        }
        if first == UInt8(ascii: "0") {
            i += 1
            if Self.isDigit(byte(i)) { throw JSONError("leading zeros are not allowed", at: t.start) }
        } else {
            while Self.isDigit(byte(i)) {
                Self.accumulate(byte(i), into: &t, significant: &significant, fraction: false)
                i += 1
            }
        }
        if byte(i) == UInt8(ascii: ".") {
            t.isInteger = false
            i += 1
            guard Self.isDigit(byte(i)) else { throw JSONError("expected a digit after '.'", at: i) }
            while Self.isDigit(byte(i)) {
                Self.accumulate(byte(i), into: &t, significant: &significant, fraction: true)
                i += 1
            }
        }
        if byte(i) == UInt8(ascii: "e") || byte(i) == UInt8(ascii: "E") {
            t.isInteger = false
            i += 1
            var negativeExponent = false
            if byte(i) == UInt8(ascii: "+") || byte(i) == UInt8(ascii: "-") {
                negativeExponent = byte(i) == UInt8(ascii: "-")
                i += 1
            }
            guard Self.isDigit(byte(i)) else { throw JSONError("expected a digit in the exponent", at: i) }
            var e = 0
            while Self.isDigit(byte(i)) {
                // Capped: anything this large is out of range or zero either way.
                e = min(e * 10 + Int(byte(i) - UInt8(ascii: "0")), 1_000_000)
                i += 1
            }
            t.exponent += negativeExponent ? -e : e
        }
        t.end = i
        offset = i
        return t
    }

    @inline(__always)
    @inlinable
    static func accumulate(_ digit: UInt8, into t: inout NumberToken, significant: inout Int, fraction: Bool) {
        let d = UInt64(digit - UInt8(ascii: "0"))
        if significant < 19 {
            t.mantissa = t.mantissa * 10 + d
            if t.mantissa != 0 { significant += 1 }
            if fraction { t.exponent -= 1 }
        } else {
            if d != 0 { t.truncated = true }
            if !fraction { t.exponent += 1 }
        }
    }

    @inline(__always)
    @inlinable
    static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    /// Calls `parse` with the token as a NUL-terminated C string (the body is not terminated).
    @usableFromInline
    func withToken<R>(_ t: NumberToken, _ parse: (UnsafePointer<CChar>) -> R) -> R {
        let n = t.end - t.start
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buf in
            for k in 0..<n { buf[k] = CChar(bitPattern: bytes[t.start + k]) }
            buf[n] = 0
            // A temporary allocation of at least one element always has a base address.
            guard let base = buf.baseAddress else { return parse("0") }
            return parse(base)
        }
    }

    /// The token's text, for error messages.
    @usableFromInline
    func text(_ t: NumberToken) -> String {
        let shown = min(t.end, t.start + 40)
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[t.start..<shown]), as: UTF8.self)
            + (shown < t.end ? "…" : "")
    }

    /// 10^e for e in 0...22, each exact in a `Double` (NaN outside, which no caller passes).
    /// A switch for the reason given at `integerPower`.
    @inlinable @inline(__always)
    static func doublePower(_ e: Int) -> Double {
        switch e {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        case 22: 1e22
        default: .nan
        }
    }
}
