/// The shortest decimal that reads back to a given `Float` or `Double`, and of those the one
/// nearest to it (ties to an even last digit): the digits `description` prints, found with
/// integer arithmetic only, after R. Giulietti's Schubfach method ("The Schubfach way to render
/// doubles", 2020).
///
/// The idea. A finite v = c·2^q reads back from any decimal strictly inside its rounding
/// interval (bounds included when c is even, as round-half-even parsing keeps them). Pick k
/// so that 10^k is no wider than that interval: then of the decimals of the form d·10^k, at
/// least one lies inside, and at most two do (s·10^k and (s+1)·10^k with s = ⌊v·10^-k⌋). One
/// digit fewer — a multiple of 10^(k+1) — can lie inside at most once; when exactly one of the
/// two around v does, it is the answer. Otherwise the answer is whichever of s, s+1 is inside,
/// or, when both are, the nearer to v.
///
/// All that is needed are v, and the two bounds, times 4·10^-k, as integers whose comparisons
/// with multiples of 4 come out exact. 10^-k comes from a table, rounded up to 64 bits (Float)
/// or 128 bits (Double); the products keep their integer part and fold the fraction into the
/// lowest bit ("round to odd"), ignoring the fraction bits the table's rounding can reach. An
/// integer result then says the scaled value was exact, an odd one that it was not, so ≤ and <
/// against 4·s are decided exactly. The paper proves those widths suffice; the tests check a
/// million random Floats, every 61st subnormal, 300,000 random Doubles and the edge cases
/// against `description` (ShortestFloatTests).
///
/// Pure functions on the caller's thread; finite, non-zero input only (the writer handles
/// zero, NaN and infinities itself).
@usableFromInline
enum ShortestDecimal {
    /// `digits`·10^`exponent`, with no trailing zero in `digits` (`digits` ≥ 1).
    @usableFromInline
    struct Decimal: Equatable, Sendable {
        @usableFromInline var digits: UInt64
        @usableFromInline var exponent: Int
    }

    /// The shortest nearest decimal of `value`'s magnitude; `value` finite and non-zero.
    @usableFromInline @inline(__always)
    static func float(_ value: Float) -> Decimal {
        let bits = value.bitPattern & 0x7FFF_FFFF
        let fraction = UInt64(bits & 0x7F_FFFF)
        let biased = Int(bits >> 23)
        if biased != 0 { return trimmed(floatDecimal(c: fraction | 1 << 23, q: biased - 150)) }
        return trimmed(floatDecimal(c: fraction, q: -149))
    }

    /// As `float`, for a `Double`.
    @usableFromInline
    static func double(_ value: Double) -> Decimal {
        let bits = value.bitPattern & 0x7FFF_FFFF_FFFF_FFFF
        let fraction = bits & 0xF_FFFF_FFFF_FFFF
        let biased = Int(bits >> 52)
        if biased != 0 { return trimmed(doubleDecimal(c: fraction | 1 << 52, q: biased - 1075)) }
        return trimmed(doubleDecimal(c: fraction, q: -1074))
    }

    /// v = c·2^q.
    @inline(__always)
    private static func floatDecimal(c: UInt64, q: Int) -> Decimal {
        let (k, cb, lower, upper) = interval(c: c, q: q, smallest: 1 << 23, qMin: -149)
        let g = floatPower(-k)
        // 1...4 (the paper's bounds on k), so no shift overflows.
        let h = q &+ floorLog2Pow10(-k) &+ 1
        return choose(
            v: scaled(g, cb &<< h), lower: scaled(g, lower &<< h), upper: scaled(g, upper &<< h),
            exclusive: c & 1, k: k)
    }

    private static func doubleDecimal(c: UInt64, q: Int) -> Decimal {
        let (k, cb, lower, upper) = interval(c: c, q: q, smallest: 1 << 52, qMin: -1074)
        let (gHigh, gLow) = doublePower(-k)
        let h = q &+ floorLog2Pow10(-k) &+ 1
        return choose(
            v: scaled(gHigh, gLow, cb &<< h), lower: scaled(gHigh, gLow, lower &<< h),
            upper: scaled(gHigh, gLow, upper &<< h), exclusive: c & 1, k: k)
    }

    /// k, and 4c with the rounding interval's bounds as 4c ± 2 — or 4c - 1 below a power of
    /// two, whose lower neighbour is half as far (its k then from ¾·2^q, the interval being
    /// narrower below).
    @inline(__always)
    private static func interval(c: UInt64, q: Int, smallest: UInt64, qMin: Int) -> (Int, UInt64, UInt64, UInt64) {
        let cb = c &<< 2
        if c != smallest || q == qMin {
            return (floorLog10Pow2(q), cb, cb &- 2, cb &+ 2)
        }
        return (floorLog10ThreeQuartersPow2(q), cb, cb &- 1, cb &+ 2)
    }

    /// The decision described at the type, on v and its bounds scaled to 4·x·10^-k.
    @inline(__always)
    private static func choose(v: UInt64, lower: UInt64, upper: UInt64, exclusive: UInt64, k: Int) -> Decimal {
        // Scaled values are below 2^62, so none of this wraps.
        let s = v &>> 2
        if s >= 10 {
            // One digit fewer: the multiples of ten around s (none but zero below 10).
            let down = s / 10 &* 10
            let up = down &+ 10
            let downInside = lower &+ exclusive <= down &<< 2
            let upInside = (up &<< 2) &+ exclusive <= upper
            if downInside != upInside { return Decimal(digits: downInside ? down : up, exponent: k) }
        }
        let t = s &+ 1
        let sInside = lower &+ exclusive <= s &<< 2
        let tInside = (t &<< 2) &+ exclusive <= upper
        if sInside != tInside { return Decimal(digits: sInside ? s : t, exponent: k) }
        // Both inside: the nearer; v exactly halfway (v = 2(s+t) only when exact) goes to the even.
        let midpoint = (s &+ t) &<< 1
        let nearerS = v < midpoint || (v == midpoint && s & 1 == 0)
        return Decimal(digits: nearerS ? s : t, exponent: k)
    }

    /// ⌊g·cp / 2^64⌋ rounded to odd: the low bit set when the fraction is non-zero. The lowest
    /// 32 fraction bits are left out: g's rounding up reaches them (cp < 2^30), an exact
    /// product's fraction never leaves them non-zero, and an inexact one is never that small.
    @inline(__always)
    private static func scaled(_ g: UInt64, _ cp: UInt64) -> UInt64 {
        let (high, low) = g.multipliedFullWidth(by: cp)
        return high | (low >> 32 == 0 ? 0 : 1)
    }

    /// ⌊g·cp / 2^128⌋ rounded to odd, g = gHigh·2^64 + gLow; the lowest 64 of the 128 fraction
    /// bits left out, for the reason above (cp < 2^59).
    @inline(__always)
    private static func scaled(_ gHigh: UInt64, _ gLow: UInt64, _ cp: UInt64) -> UInt64 {
        let (lowHigh, _) = gLow.multipliedFullWidth(by: cp)
        let (highHigh, highLow) = gHigh.multipliedFullWidth(by: cp)
        let (middle, carry) = highLow.addingReportingOverflow(lowHigh)
        return (highHigh &+ (carry ? 1 : 0)) | (middle == 0 ? 0 : 1)
    }

    /// Without trailing zeros: the shortest text has none.
    @inline(__always)
    private static func trimmed(_ d: Decimal) -> Decimal {
        var d = d
        while d.digits % 10 == 0 {
            d.digits /= 10
            d.exponent &+= 1
        }
        return d
    }

    /// ⌊q·log10 2⌋, ⌊q·log10 2 + log10 ¾⌋ and ⌊e·log2 10⌋ in fixed point, exact for |q| ≤ 2000
    /// and |e| ≤ 400 (checked against exact arithmetic by the tests over those ranges).
    @inline(__always)
    static func floorLog10Pow2(_ q: Int) -> Int { (q &* 315_653) &>> 20 }

    @inline(__always)
    static func floorLog10ThreeQuartersPow2(_ q: Int) -> Int { (q &* 315_653 &- 131_237) &>> 20 }

    @inline(__always)
    static func floorLog2Pow10(_ e: Int) -> Int { (e &* 1_741_647) &>> 19 }
}
