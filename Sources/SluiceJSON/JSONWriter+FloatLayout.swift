/// The Float path of `floats(_:)` and `float(_:)`: the layout of JSONWriter+Floats.swift for
/// normal `Float`s below 10^7 that are not powers of two (what tensors hold), from
/// `ShortestDecimal.floatDigits`, with the digit count read off the digits' text and whole
/// words stored at computed offsets, four numbers at a time in arrays.
extension JSONWriter {
    /// Four values, each with a comma before it, as `writeFloat` writes them; returns the
    /// length. When all four take the normal path their digits are found first, side by side,
    /// and laid out after: one number's work depends on nothing of the others', and written
    /// together the processor overlaps them, where one after another each waits on the last.
    static func writeFourFloats(_ values: UnsafePointer<Float>, to start: UnsafeMutablePointer<UInt8>) -> Int {
        // The bits read as words: `bitPattern` stayed a call in this function.
        let raw = UnsafeRawPointer(values)
        let b0 = raw.load(as: UInt32.self), b1 = raw.load(fromByteOffset: 4, as: UInt32.self)
        let b2 = raw.load(fromByteOffset: 8, as: UInt32.self), b3 = raw.load(fromByteOffset: 12, as: UInt32.self)
        var p = start
        if isNormalNotPowerOfTwo(b0), isNormalNotPowerOfTwo(b1), isNormalNotPowerOfTwo(b2), isNormalNotPowerOfTwo(b3) {
            let d0 = ShortestDecimal.floatDigits(fraction: b0 & 0x7F_FFFF, biased: b0 &>> 23 & 0xFF)
            let d1 = ShortestDecimal.floatDigits(fraction: b1 & 0x7F_FFFF, biased: b1 &>> 23 & 0xFF)
            let d2 = ShortestDecimal.floatDigits(fraction: b2 & 0x7F_FFFF, biased: b2 &>> 23 & 0xFF)
            let d3 = ShortestDecimal.floatDigits(fraction: b3 & 0x7F_FFFF, biased: b3 &>> 23 & 0xFF)
            p += writeNormalFloat(d0, bits: b0, afterCommaAt: p)
            p += writeNormalFloat(d1, bits: b1, afterCommaAt: p)
            p += writeNormalFloat(d2, bits: b2, afterCommaAt: p)
            p += writeNormalFloat(d3, bits: b3, afterCommaAt: p)
        } else {
            p += writeFourFloatsInGeneral(values, to: p)
        }
        return p - start
    }

    /// `writeFourFloats` when one of the four does not take the normal path: out of line, so
    /// that the normal path stays small.
    @inline(never)
    private static func writeFourFloatsInGeneral(_ values: UnsafePointer<Float>, to start: UnsafeMutablePointer<UInt8>) -> Int {
        var p = start
        for i in 0..<4 {
            p.pointee = UInt8(ascii: ",")
            p += 1 &+ writeFloat(values[i], to: p + 1)
        }
        return p - start
    }

    /// A comma then `writeNormalFloat`'s text, or `writeFloatInGeneral`'s when it declines.
    @inline(__always)
    private static func writeNormalFloat(_ d: ShortestDecimal.FloatDigits, bits: UInt32, afterCommaAt p: UnsafeMutablePointer<UInt8>) -> Int {
        p.pointee = UInt8(ascii: ",")
        let length = writeNormalFloat(d, negative: bits &>> 31 != 0, to: p + 1)
        return 1 &+ (length != 0 ? length : writeFloatInGeneral(Float(bitPattern: bits), to: p + 1))
    }

    /// Whether `writeFloat` takes `writeNormalFloat` for these bits: a normal number that is
    /// not a power of two.
    @inline(__always)
    static func isNormalNotPowerOfTwo(_ bits: UInt32) -> Bool {
        let biased = bits &>> 23 & 0xFF
        return biased != 0 && biased != 0xFF && bits & 0x7F_FFFF != 0
    }

    /// The layout described at the extension for a normal `Float` that is not a power of two
    /// (`floatDigits`'s input), or 0 when its leading digit is at 10^7 or above (then `write`
    /// decides). The digits are padded with zeros to exactly nine, a word and a byte of text
    /// whatever their count, and the count of digits that matter is read off the word's bits
    /// (its trailing zero digits are its high zero bytes). The layout then stores whole words
    /// at computed offsets: "0.000000" then the digits for 0.0001 to 1, the digits with the
    /// point merged in by masks up to 10^7, the digits then "e-XX" below 10^-4.
    @inline(__always)
    static func writeNormalFloat(_ d: ShortestDecimal.FloatDigits, negative: Bool, to start: UnsafeMutablePointer<UInt8>) -> Int {
        // `leading`'s 6 to 8 digits right-aligned in a word, shifted down over its leading
        // zero bytes (zeroes, 1 or 2) with `last` after them: the first eight of the nine
        // digits; the ninth is `last` when there were no leading zeros (else 0).
        let leadingDigits = eightDigitValues(d.leading)
        let zeroes = leadingDigits.trailingZeroBitCount &>> 3
        let lastByte = UInt64(d.last)
        let shifted: UInt64 = leadingDigits &>> UInt64(truncatingIfNeeded: 8 &* zeroes)
        let digits: UInt64 = shifted | (lastByte &<< UInt64(truncatingIfNeeded: 56 &- 8 &* zeroes)) &<< 8
        let ninth = zeroes == 0 ? lastByte : 0
        // Digits that matter: nine when the ninth is not zero, else eight less the word's
        // trailing zero digits.
        let count = ninth != 0 ? 9 : 8 &- digits.leadingZeroBitCount &>> 3
        // The exponent of the leading digit.
        let leading = d.exponent &+ 8 &- zeroes
        if leading >= 7 { return 0 }
        let text = digits | 0x3030_3030_3030_3030
        let ninthText = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: ninth)
        // The sign is stored whatever it is and kept only when negative.
        start.pointee = UInt8(ascii: "-")
        let p = start + (negative ? 1 : 0)
        let signLength = p - start
        if leading >= 0 {
            // Bytes 0...leading are digits, leading + 1 the point, those after it the digits
            // one place right (leading ≤ 6, so the masks' shifts stay below 64), bytes 8 and
            // 9 the last two digits.
            let integerMask = ~UInt64(0) &>> UInt64(truncatingIfNeeded: 56 &- 8 &* leading)
            let word = text & integerMask
                | UInt64(UInt8(ascii: ".")) &<< UInt64(truncatingIfNeeded: 8 &* leading &+ 8)
                | text &<< 8 & ~(integerMask &<< 8 | 0xFF)
            storeWord(word, at: p)
            p[8] = UInt8(truncatingIfNeeded: text &>> 56)
            p[9] = ninthText
            // "123.45", or the integer's digits and padding zeros then ".0".
            return signLength &+ max(count &+ 1, leading &+ 3)
        }
        if leading >= -4 {
            // "0." and up to three zeros, then the digits over the zeros' word's end.
            storeWord(0x3030_3030_3030_2E30, at: p)
            let at = p + (1 &- leading)
            storeWord(text, at: at)
            at[8] = ninthText
            return signLength &+ 1 &- leading &+ count
        }
        // One digit, the point and the others when there are any, "e-XX" (a normal Float's
        // exponent is two digits: 10^-38 to 10^38).
        storeWord(text, at: p + 1)
        p[9] = ninthText
        p[0] = p[1]
        p[1] = UInt8(ascii: ".")
        let e = UInt32(truncatingIfNeeded: -leading)
        let tens = (e &* 103) &>> 10
        let exponent = UInt32(UInt8(ascii: "e")) | UInt32(UInt8(ascii: "-")) &<< 8
            | (UInt32(UInt8(ascii: "0")) &+ tens) &<< 16 | (UInt32(UInt8(ascii: "0")) &+ e &- tens &* 10) &<< 24
        let end = count == 1 ? 1 : count &+ 1
        UnsafeMutableRawPointer(p + end).storeBytes(of: exponent.littleEndian, as: UInt32.self)
        return signLength &+ end &+ 4
    }
}
