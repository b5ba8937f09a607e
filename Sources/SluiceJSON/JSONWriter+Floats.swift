/// Floats as text, written straight into the body: the shortest digits that read back to the
/// same value (`ShortestDecimal`), laid out as Swift's `description` lays them out, so the text
/// is byte for byte what `value.description` gives (which the tests check) without a `String`
/// per number:
/// - plain decimals from 10^-4 up to 2^24 (`Float`) or 2^53 (`Double`), integers with `.0`
///   (`0.0001`, `0.3`, `100.0`, `16777216.0`);
/// - otherwise one digit, the rest after a point, and an exponent of at least two digits
///   (`1e-05`, `1.6777218e+07`, `3.4028235e+38`).
/// Non-finite values are the writer's `NaN` and `Infinity` tokens.
extension JSONWriter {
    /// The elements of an array, each as `float(_:)` writes it, in chunks of text copied into the
    /// body at once: for tensors, where a call and a copy per value would cost more than the
    /// digits. Called inside an open array.
    public mutating func floats(_ values: [Float]) {
        values.withUnsafeBufferPointer { appendElements($0, maxLength: Self.maxFloatLength, Self.writeFloat) }
    }

    /// As `floats`, for `Double` values.
    public mutating func doubles(_ values: [Double]) {
        values.withUnsafeBufferPointer { appendElements($0, maxLength: Self.maxDoubleLength, Self.writeDouble) }
    }

    /// "-0.000" and 9 digits, or "-1.2345678e-38" (Float); "-0.000" and 17 digits, or
    /// "-1.2345678901234567e-308" (Double).
    static let maxFloatLength = 15
    static let maxDoubleLength = 24

    @usableFromInline
    mutating func appendFloat(_ value: Float) {
        appendOne(value, maxLength: Self.maxFloatLength, Self.writeFloat)
    }

    @usableFromInline
    mutating func appendDouble(_ value: Double) {
        appendOne(value, maxLength: Self.maxDoubleLength, Self.writeDouble)
    }

    private mutating func appendOne<T>(_ value: T, maxLength: Int, _ write: (T, UnsafeMutablePointer<UInt8>) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            guard let p = buffer.baseAddress else { return }
            storage.append(contentsOf: UnsafeBufferPointer(start: p, count: write(value, p)))
        }
    }

    /// Writes `values` comma-separated through `write` into a stack buffer, copied into the body
    /// whenever another value might not fit.
    private mutating func appendElements<T>(
        _ values: UnsafeBufferPointer<T>, maxLength: Int, _ write: (T, UnsafeMutablePointer<UInt8>) -> Int
    ) {
        guard !values.isEmpty else { return }
        let capacity = 4096
        storage.reserveCapacity(storage.count + values.count * 8)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            guard let p = buffer.baseAddress else { return }
            var used = 0
            var comma = needsComma
            for value in values {
                if used > capacity - maxLength - 1 {
                    storage.append(contentsOf: UnsafeBufferPointer(start: p, count: used))
                    used = 0
                }
                if comma { p[used] = UInt8(ascii: ","); used += 1 }
                comma = true
                used += write(value, p + used)
            }
            storage.append(contentsOf: UnsafeBufferPointer(start: p, count: used))
        }
        needsComma = true
    }

    /// `value`'s text at `p` (room for `maxFloatLength` bytes); returns its length.
    static func writeFloat(_ value: Float, to p: UnsafeMutablePointer<UInt8>) -> Int {
        guard value.isFinite, value != 0 else { return writeSpecial(isNaN: value.isNaN, isZero: value == 0, negative: value.sign == .minus, to: p) }
        let plain = value.magnitude <= 16_777_216
        return write(ShortestDecimal.float(value), negative: value.sign == .minus, plainUpTo: plain, to: p)
    }

    /// `value`'s text at `p` (room for `maxDoubleLength` bytes); returns its length.
    static func writeDouble(_ value: Double, to p: UnsafeMutablePointer<UInt8>) -> Int {
        guard value.isFinite, value != 0 else { return writeSpecial(isNaN: value.isNaN, isZero: value == 0, negative: value.sign == .minus, to: p) }
        let plain = value.magnitude <= 9_007_199_254_740_992
        return write(ShortestDecimal.double(value), negative: value.sign == .minus, plainUpTo: plain, to: p)
    }

    /// Zeros, NaN and the infinities, as `double(_:)` and `float(_:)` have always written them.
    private static func writeSpecial(isNaN: Bool, isZero: Bool, negative: Bool, to p: UnsafeMutablePointer<UInt8>) -> Int {
        let text: StaticString = isZero ? (negative ? "-0.0" : "0.0") : isNaN ? "NaN" : negative ? "-Infinity" : "Infinity"
        return text.withUTF8Buffer { utf8 in
            for (i, b) in utf8.enumerated() { p[i] = b }
            return utf8.count
        }
    }

    /// The layout described at the extension; `plainUpTo` says the value is small enough for a
    /// plain decimal (the lower limit, 10^-4, is the decimal's own).
    private static func write(_ d: ShortestDecimal.Decimal, negative: Bool, plainUpTo: Bool, to start: UnsafeMutablePointer<UInt8>) -> Int {
        var p = start
        if negative {
            p.pointee = UInt8(ascii: "-")
            p += 1
        }
        var digits = d.digits
        let n = digitCount(digits)
        // The exponent of the leading digit.
        let leading = d.exponent &+ n &- 1
        if plainUpTo, leading >= -4 {
            if d.exponent >= 0 {
                // An integer: its digits, the zeros after them, ".0".
                writeLowDigits(&digits, count: n, endingAt: p + n)
                p += n
                for _ in 0..<d.exponent {
                    p.pointee = UInt8(ascii: "0")
                    p += 1
                }
                p[0] = UInt8(ascii: ".")
                p[1] = UInt8(ascii: "0")
                return p + 2 - start
            }
            if leading >= 0 {
                // The fraction's digits, the point before them, the integer's digits.
                let end = p + n + 1
                writeLowDigits(&digits, count: -d.exponent, endingAt: end)
                p[leading &+ 1] = UInt8(ascii: ".")
                writeLowDigits(&digits, count: leading &+ 1, endingAt: p + leading + 1)
                return end - start
            }
            // "0.", the zeros after the point (at most three), the digits.
            p[0] = UInt8(ascii: "0")
            p[1] = UInt8(ascii: ".")
            p += 2
            for _ in 0..<(-leading &- 1) {
                p.pointee = UInt8(ascii: "0")
                p += 1
            }
            writeLowDigits(&digits, count: n, endingAt: p + n)
            return p + n - start
        }
        // The leading digit, then the point and the others when there are any.
        if n > 1 {
            writeLowDigits(&digits, count: n &- 1, endingAt: p + n + 1)
            p[1] = UInt8(ascii: ".")
            p[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: digits)
            p += n + 1
        } else {
            p[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: digits)
            p += 1
        }
        p[0] = UInt8(ascii: "e")
        p[1] = leading < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
        var e = UInt64(leading.magnitude)
        let width = e >= 100 ? 3 : 2
        writeLowDigits(&e, count: width, endingAt: p + 2 + width)
        return p + 2 + width - start
    }

    /// How many decimal digits `v` (≥ 1) has: from its bit length, corrected once.
    @inline(__always)
    static func digitCount(_ v: UInt64) -> Int {
        // ⌊log10 2^bits⌋ + 1 is right or one too many.
        let guess = ((64 - v.leadingZeroBitCount) * 1233) >> 12
        return v < JSONReader.integerPower(guess) ? guess : guess + 1
    }

    /// The last `count` decimal digits of `v`, most significant first, ending before `end`,
    /// two at a time from a table of pairs; `v` keeps the digits left over.
    @inline(__always)
    static func writeLowDigits(_ v: inout UInt64, count: Int, endingAt end: UnsafeMutablePointer<UInt8>) {
        let pairs = digitPairs.utf8Start
        var at = end
        var i = count
        while i >= 2 {
            let pair = Int(truncatingIfNeeded: v % 100)
            v /= 100
            at -= 2
            at[0] = pairs[2 &* pair]
            at[1] = pairs[2 &* pair &+ 1]
            i &-= 2
        }
        if i == 1 {
            (at - 1).pointee = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
            v /= 10
        }
    }

    /// "00", "01", … "99": the text of every two-digit pair (computed, so it is a constant
    /// address rather than a global behind a once-check).
    static var digitPairs: StaticString {
        """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """
    }
}
