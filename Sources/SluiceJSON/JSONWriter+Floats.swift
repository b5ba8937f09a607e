import CKernels

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
        // The level is asked for only when there is a group of eight: a 1-row answer's few
        // values skip the call (bench/h1-instructions.sh counts it).
        floats(values, cpuLevel: values.count >= 8 ? sluice_cpu_level() : Int32(SLUICE_CPU_BASELINE))
    }

    /// `floats` at an instruction-set level (`sluice_cpu_level()`'s, or lower in tests): at
    /// AVX-512 eight values at a time in vector lanes (`sluice_float_text8`,
    /// Sources/CKernels/float_text.c: the same method and text, powers of two from a table),
    /// else four at a time here.
    /// A group of eight the kernel leaves (one of its values a subnormal, 10^7 or more but not a
    /// power of two, infinite or NaN) is written here as two groups of four.
    mutating func floats(_ values: [Float], cpuLevel: Int32) {
        values.withUnsafeBufferPointer {
            if cpuLevel >= Int32(SLUICE_CPU_AVX512) {
                appendElements($0, maxLength: Self.maxFloatLength, group: 8, { v, p in
                    let length = sluice_float_text8(v, p, cpuLevel)
                    if length != 0 { return length }
                    let first = Self.writeFourFloats(v, to: p)
                    return first &+ Self.writeFourFloats(v + 4, to: p + first)
                }, Self.writeFloat)
            } else {
                appendElements($0, maxLength: Self.maxFloatLength, group: 4, Self.writeFourFloats, Self.writeFloat)
            }
        }
    }

    /// As `floats`, for `Double` values.
    public mutating func doubles(_ values: [Double]) {
        values.withUnsafeBufferPointer {
            appendElements($0, maxLength: Self.maxDoubleLength, group: 1, { v, p in
                p.pointee = UInt8(ascii: ",")
                return 1 &+ Self.writeDouble(v.pointee, to: p + 1)
            }, Self.writeDouble)
        }
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
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buffer in
            guard let p = buffer.baseAddress else { return }
            storage.append(contentsOf: UnsafeBufferPointer(start: p, count: write(value, p)))
        }
    }

    /// Writes `values` comma-separated into a stack buffer, copied into the body whenever
    /// another group might not fit: `group` values at a time through `writeGroup` (each with
    /// the comma before it), the first value when it opens the array and those left over
    /// through `write`.
    private mutating func appendElements<T>(
        _ values: UnsafeBufferPointer<T>, maxLength: Int, group: Int,
        _ writeGroup: (UnsafePointer<T>, UnsafeMutablePointer<UInt8>) -> Int,
        _ write: (T, UnsafeMutablePointer<UInt8>) -> Int
    ) {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        // 1 KiB: the most `withUnsafeTemporaryAllocation` puts on the stack without asking the
        // thread for its stack bounds (a system call's worth, which a 1-row answer would feel).
        let capacity = 1024
        // Room for the usual 8-10 bytes per value, growing geometrically: reserving an exact
        // size would make the appends after it (closing brackets) reallocate again.
        let (estimate, overflow) = values.count.multipliedReportingOverflow(by: 10)
        if !overflow, storage.capacity - storage.count < estimate {
            storage.reserveCapacity(max(storage.count &+ estimate, storage.capacity &* 2))
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            guard let p = buffer.baseAddress else { return }
            let full = capacity - group * (maxLength + 1) - Self.digitSlack
            var used = 0
            var i = 0
            if !needsComma {
                used = write(base.pointee, p)
                i = 1
            }
            while i &+ group <= values.count {
                if used > full {
                    storage.append(contentsOf: UnsafeBufferPointer(start: p, count: used))
                    used = 0
                }
                used &+= writeGroup(base + i, p + used)
                i &+= group
            }
            while i < values.count {
                if used > full {
                    storage.append(contentsOf: UnsafeBufferPointer(start: p, count: used))
                    used = 0
                }
                p[used] = UInt8(ascii: ",")
                used &+= 1 &+ write(base[i], p + used + 1)
                i &+= 1
            }
            storage.append(contentsOf: UnsafeBufferPointer(start: p, count: used))
        }
        needsComma = true
    }

    /// `value`'s text at `p` (room for `maxFloatLength` bytes plus `digitSlack`); returns its
    /// length. Tensors are mostly normal numbers below 10^7: those take `floatDigits` and
    /// `writeNormalFloat`, which neither divide trailing zeros off nor look the digit count
    /// up; zeros, subnormals, powers of two, 10^7 and up, NaN and the infinities take the
    /// general `write`.
    @inline(__always)
    static func writeFloat(_ value: Float, to p: UnsafeMutablePointer<UInt8>) -> Int {
        let bits = value.bitPattern
        if isNormalNotPowerOfTwo(bits) {
            let d = ShortestDecimal.floatDigits(fraction: bits & 0x7F_FFFF, biased: bits &>> 23 & 0xFF)
            let length = writeNormalFloat(d, negative: bits &>> 31 != 0, to: p)
            if length != 0 { return length }
        }
        return writeFloatInGeneral(value, to: p)
    }

    /// `writeFloat` for the values `writeNormalFloat` does not take.
    @inline(never)
    static func writeFloatInGeneral(_ value: Float, to p: UnsafeMutablePointer<UInt8>) -> Int {
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
    /// plain decimal (the lower limit, 10^-4, is the decimal's own). The digits go down in one
    /// block (`writeDigits`) and the point is slid in after; up to `digitSlack` bytes past the
    /// text may be overwritten.
    @inline(__always)
    private static func write(_ d: ShortestDecimal.Decimal, negative: Bool, plainUpTo: Bool, to start: UnsafeMutablePointer<UInt8>) -> Int {
        var p = start
        if negative {
            p.pointee = UInt8(ascii: "-")
            p += 1
        }
        let n = digitCount(d.digits)
        // The exponent of the leading digit.
        let leading = d.exponent &+ n &- 1
        if plainUpTo, leading >= -4 {
            if d.exponent >= 0 {
                // An integer: its digits, the zeros after them, ".0".
                writeDigits(d.digits, count: n, to: p)
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
                // All digits one place right, the integer's slid back over the gap, the point.
                writeDigits(d.digits, count: n, to: p + 1)
                for i in 0...leading { p[i] = p[i &+ 1] }
                p[leading &+ 1] = UInt8(ascii: ".")
                return p + n + 1 - start
            }
            // "0.", the zeros after the point (at most three), the digits.
            p[0] = UInt8(ascii: "0")
            p[1] = UInt8(ascii: ".")
            p += 2
            for _ in 0..<(-leading &- 1) {
                p.pointee = UInt8(ascii: "0")
                p += 1
            }
            writeDigits(d.digits, count: n, to: p)
            return p + n - start
        }
        // The leading digit, then the point and the others when there are any.
        writeDigits(d.digits, count: n, to: p + 1)
        p[0] = p[1]
        if n > 1 {
            p[1] = UInt8(ascii: ".")
            p += n + 1
        } else {
            p += 1
        }
        p[0] = UInt8(ascii: "e")
        p[1] = leading < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
        var e = UInt64(leading.magnitude)
        let width = e >= 100 ? 3 : 2
        writeLowDigits(&e, count: width, endingAt: p + 2 + width)
        return p + 2 + width - start
    }

    /// Bytes past a number's text that `write` may overwrite (`writeDigits` stores whole words).
    static let digitSlack = 8

    /// The `count` (1...19) decimal digits of `v` at `p`, eight at a time as one word store
    /// (`eightDigits`); may overwrite up to `digitSlack` bytes past them. Up to 9 digits (every
    /// `Float`) inline; a leading group goes down before the word after it, which overwrites
    /// its spill.
    @inline(__always)
    static func writeDigits(_ v: UInt64, count: Int, to p: UnsafeMutablePointer<UInt8>) {
        if count <= 8 {
            writeShortDigits(UInt32(truncatingIfNeeded: v), count: count, to: p)
        } else if count == 9 {
            let high = v / 100_000_000
            p[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: high)
            storeWord(eightDigits(UInt32(truncatingIfNeeded: v &- high &* 100_000_000)), at: p + 1)
        } else {
            writeLongDigits(v, count: count, to: p)
        }
    }

    /// `writeDigits` for `count` 1...8 (v < 10^8 fits 32 bits): the word's 8 - count leading
    /// zero bytes shifted out (count ≥ 1, so the shift stays below 64).
    @inline(__always)
    static func writeShortDigits(_ v: UInt32, count: Int, to p: UnsafeMutablePointer<UInt8>) {
        storeWord(eightDigits(v) &>> UInt64(8 &* (8 &- count)), at: p)
    }

    /// `writeDigits` for 10 to 19 digits (`Double` only).
    @inline(never)
    static func writeLongDigits(_ v: UInt64, count: Int, to p: UnsafeMutablePointer<UInt8>) {
        let high = v / 100_000_000
        let low = UInt32(truncatingIfNeeded: v &- high &* 100_000_000)
        if count <= 16 {
            writeShortDigits(UInt32(truncatingIfNeeded: high), count: count &- 8, to: p)
        } else {
            // 17 to 19 digits: high has 9 to 11, so top has 1 to 3.
            let top = high / 100_000_000
            writeShortDigits(UInt32(truncatingIfNeeded: top), count: count &- 16, to: p)
            storeWord(eightDigits(UInt32(truncatingIfNeeded: high &- top &* 100_000_000)), at: p + (count &- 16))
        }
        storeWord(eightDigits(low), at: p + (count &- 8))
    }

    /// Eight bytes at `p`, the low byte first.
    @inline(__always)
    static func storeWord(_ word: UInt64, at p: UnsafeMutablePointer<UInt8>) {
        UnsafeMutableRawPointer(p).storeBytes(of: word.littleEndian, as: UInt64.self)
    }

    /// The eight ASCII digits of `x` (< 10^8, leading zeros included), the first in the low byte.
    /// Lanes: x splits into two 4-digit halves in 32-bit lanes, each into two 2-digit parts in
    /// 16-bit lanes, each into two digits in bytes, dividing every lane at once by a multiply
    /// and shift (⌊v·10486 / 2^20⌋ = ⌊v/100⌋ for v < 10^4, ⌊v·103 / 2^10⌋ = ⌊v/10⌋ for v < 100;
    /// the products stay inside their lanes, so &* never carries across).
    @inline(__always)
    static func eightDigits(_ x: UInt32) -> UInt64 {
        eightDigitValues(x) | 0x3030_3030_3030_3030
    }

    /// `eightDigits` before the ASCII offset: each byte a digit's value 0...9.
    @inline(__always)
    static func eightDigitValues(_ x: UInt32) -> UInt64 {
        let high = x / 10_000
        let low = x &- high &* 10_000
        var y = UInt64(high) | UInt64(low) &<< 32
        let hundreds = ((y &* 10_486) &>> 20) & 0x0000_007F_0000_007F
        y = hundreds | (y &- hundreds &* 100) &<< 16
        let tens = ((y &* 103) &>> 10) & 0x000F_000F_000F_000F
        return tens | (y &- tens &* 10) &<< 8
    }

    /// How many decimal digits `v` (≥ 1) has: from its bit length, corrected once.
    @inline(__always)
    static func digitCount(_ v: UInt64) -> Int {
        // ⌊log10 2^bits⌋ + 1 is right or one too many.
        let guess = ((64 - v.leadingZeroBitCount) * 1233) >> 12
        return v < ShortestDecimal.decimalPower(guess) ? guess : guess + 1
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
