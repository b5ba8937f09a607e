/// The writer's path for tensors' `Float`s: the same shortest nearest decimal as `float(_:)`,
/// found with J. Jeon's Dragonbox method ("Dragonbox: A New Floating-Point Binary-to-Decimal
/// Conversion Algorithm", 2020, and its reference code's binary32 case), which needs one
/// product where Schubfach needs three, and no bounds of the interval in the usual case:
/// about half the instructions per number, which is what a column of floats costs.
///
/// The idea, with κ = 1. Scale v's upper bound by 10^-k so that the interval's width in
/// those units, δ, is in [10, 100): the upper bound is then z (integer part zᵢ), and a
/// multiple of 100 below z but within δ of it is inside the interval — the one digit fewer
/// Schubfach also tries. Otherwise the answer is at the scale of ten: the nearest integer to
/// y = v·10^-k, found from zᵢ - δ/2 without computing y, with a parity check on y that
/// counts only when that distance is a multiple of ten (a tenth of the time), to settle
/// which of two it is and break exact ties to the even one. Which of the two scales answers
/// is a coin toss for random values, so both are computed and one kept without a branch:
/// on values the branch predictor has not seen before (`sluice-micro codecs`), 56 → 71 M
/// floats/s.
///
/// The powers are `floatPower`'s (10^k rounded up to 64 bits, which is Dragonbox's table for
/// binary32), the logarithms `floorLog10Pow2` and `floorLog2Pow10`. The tests check it
/// against `float(_:)` and `description` (random values, every binade, tensors); all 2^32
/// bit patterns were checked against `description` through the writer when it was written
/// and when it was made branch-free. Powers of two (a lopsided interval) and subnormals stay
/// with `float(_:)`.
///
/// The same method, and `writeNormalFloat`'s layout, run eight at a time in AVX-512 lanes for
/// `JSONWriter.floats` (Sources/CKernels/float_text.c, its steps named after these): a change
/// here is a change there. That kernel also writes powers of two, from a generated table of
/// their text, where this path leaves them to `float(_:)`. The tests check it against
/// `description` too, and every bit pattern it takes was checked against the writer's Swift
/// path when it was written (all 2^32, eight consecutive at a time, the values it leaves
/// replaced by 0.3).
extension ShortestDecimal {
    /// A decimal `leading`·10 + `last` times 10^`exponent`: the digits in two parts, so
    /// that the text of `leading` can be made while `last` is still being decided.
    struct FloatDigits {
        /// 6 to 8 digits.
        var leading: UInt32
        /// 0...9.
        var last: UInt32
        var exponent: Int
    }

    /// `float`'s decimal, for a normal `Float` that is not a power of two: `fraction` its 23
    /// stored bits (non-zero), `biased` its exponent field (1...254). As a whole it has 7 to
    /// 9 digits (v·10^-k, k = ⌊log10 2^q⌋, lies in [c, 10c) with c in [2^23, 2^24)), which
    /// the writer's Float layout relies on, and may end in zeros, which the writer finds in
    /// the digits' text rather than dividing them off one by one. Pure; on the caller's
    /// thread. `@inline(always)`: with `@inline(__always)` the optimizer still called it,
    /// four calls a group in `writeFourFloats`.
    @inline(always)
    static func floatDigits(fraction: UInt32, biased: UInt32) -> FloatDigits {
        let c = fraction | 1 << 23
        let q = Int(biased) &- 150
        // The interval's bounds are in it when c is even (round-half-even reading).
        let closed = c & 1 == 0
        let minusK = floorLog10Pow2(q) &- 1
        let cache = floatPower(-minusK)
        // 3...6 for every Float: (2c + 1) << beta stays below 2^31, the shifts below 64.
        let beta = q &+ floorLog2Pow10(-minusK)
        let twoC = c &<< 1
        let delta = UInt32(truncatingIfNeeded: cache &>> UInt64(truncatingIfNeeded: 63 &- beta))
        // z: the upper bound (2c + 1)·2^(q-1)·10^-k, its integer part and whether it is one
        // (the upper 64 of the 96-bit product x·2^32·cache, x < 2^31: two 64-bit products
        // of x by cache's halves, which cannot overflow; `multipliedFullWidth` stayed a call
        // of the standard library's in `writeFourFloats`).
        let x = UInt64((twoC | 1) &<< UInt32(truncatingIfNeeded: beta))
        let z = x &* (cache &>> 32) &+ (x &* (cache & 0xFFFF_FFFF)) &>> 32
        let zi = UInt32(truncatingIfNeeded: z &>> 32)
        let zIsInteger = UInt32(truncatingIfNeeded: z) == 0

        // The larger divisor, 100: one digit fewer than the scale of ten.
        let significand = zi / 100
        let r = zi &- significand &* 100
        // r = δ (the multiple of 100 is the lower bound's integer part) or an excluded upper
        // bound that is a multiple of 100 are rare (about 1 in 100): `floatDigitsAtBounds`.
        if r == delta || (r == 0 && zIsInteger && !closed) {
            return floatDigitsAtBounds(significand: significand, r: r, delta: delta, twoC: twoC, cache: cache, beta: beta, exponent: minusK &+ 1)
        }
        // Otherwise both answers are computed and one kept, without a branch: which one is a
        // coin toss for random data, and a mispredicted branch costs more than the other's
        // few instructions. 0 when the multiple of 100 is inside (r < δ: the digits end
        // there), else the smaller divisor's digit (wrapping arithmetic: computed either way).
        let last = smallerDivisorDigit(r: r, delta: delta, twoC: twoC, cache: cache, beta: beta)
        let keep: UInt32 = r < delta ? 0 : 0xFFFF_FFFF
        return FloatDigits(leading: significand, last: last & keep, exponent: minusK &+ 1)
    }

    /// `floatDigits` when r = δ or the upper bound is an excluded multiple of 100.
    @inline(never)
    private static func floatDigitsAtBounds(
        significand: UInt32, r: UInt32, delta: UInt32, twoC: UInt32, cache: UInt64, beta: Int, exponent: Int
    ) -> FloatDigits {
        if r == delta {
            // Compare the lower bound's fraction: it is inside when it is an integer and
            // the bounds are (c even, `closed`).
            let (parity, isInteger) = parityOfProduct(twoC &- 1, cache, beta)
            if parity || (isInteger && twoC & 2 == 0) { return FloatDigits(leading: significand, last: 0, exponent: exponent) }
            return FloatDigits(leading: significand, last: smallerDivisorDigit(r: r, delta: delta, twoC: twoC, cache: cache, beta: beta), exponent: exponent)
        }
        // It is the upper bound itself, which is excluded: one step down, then the smaller
        // divisor's answer, carried back into two parts.
        let digits = (significand &- 1) &* 10 &+ smallerDivisorDigit(r: 100, delta: delta, twoC: twoC, cache: cache, beta: beta)
        return FloatDigits(leading: digits / 10, last: digits % 10, exponent: exponent)
    }

    /// The smaller divisor, 10: the last digit of y's nearest integer, from zᵢ less
    /// half the interval (r ≥ δ). When that distance is a multiple of ten, y's parity tells
    /// which of two it is, and an integer y (a tie) goes to the even one. 0...9 when r ≤ 99,
    /// up to 10 for the excluded upper bound's r = 100. Without branches (see `floatDigits`):
    /// the parity costs one product, the choice is arithmetic on 0 or 1.
    @inline(__always)
    private static func smallerDivisorDigit(r: UInt32, delta: UInt32, twoC: UInt32, cache: UInt64, beta: Int) -> UInt32 {
        let dist = r &- delta / 2 &+ 5
        let digit = dist / 10
        let multipleOfTen: UInt32 = dist == digit &* 10 ? 1 : 0
        let low = UInt64(twoC) &* cache
        let yParity = UInt32(truncatingIfNeeded: low &>> UInt64(truncatingIfNeeded: 64 &- beta)) & 1
        let yIsInteger: UInt32 = UInt32(truncatingIfNeeded: low &>> UInt64(truncatingIfNeeded: 32 &- beta)) == 0 ? 1 : 0
        // The digit's parity is the whole number's (the rest is a multiple of ten); y's
        // differs from the approximation's (dist - 5) when y is one less.
        let approxYParity = (dist ^ 5) & 1
        return digit &- (multipleOfTen & (yParity ^ approxYParity | yIsInteger & digit))
    }

    /// For x·2^beta·(cache / 2^64) (x < 2^26): the parity of its integer part and whether it
    /// is an integer, from the low 64 bits of the 96-bit product.
    @inline(__always)
    private static func parityOfProduct(_ x: UInt32, _ cache: UInt64, _ beta: Int) -> (Bool, Bool) {
        let low = UInt64(x) &* cache
        return ((low &>> UInt64(truncatingIfNeeded: 64 &- beta)) & 1 != 0, UInt32(truncatingIfNeeded: low &>> UInt64(truncatingIfNeeded: 32 &- beta)) == 0)
    }
}
