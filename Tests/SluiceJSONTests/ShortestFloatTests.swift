import CKernels
import Testing
@testable import SluiceJSON

/// The float printer against Swift's own `description` (the text the writer wrote before it
/// had a printer of its own) and against reading back: edge cases, every power of ten and two,
/// and random bit patterns from a fixed seed, bounded in count.
@Suite struct ShortestFloatTests {
    /// xorshift64*: a fixed (non-zero) seed gives the same patterns on every run.
    struct Patterns: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
    }

    static func text(_ value: Float) -> String {
        var w = JSONWriter()
        w.float(value)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func text(_ value: Double) -> String {
        var w = JSONWriter()
        w.double(value)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static var floatEdges: [Float] {
        var values: [Float] = [
            0, -0.0, 1, -1, 0.1, 0.3, 1e-4, 9.999999e-5, 1e-5, 16_777_216, 16_777_218, 8_388_608,
            .leastNonzeroMagnitude, .leastNormalMagnitude, .leastNormalMagnitude.nextDown,
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .ulpOfOne, Float(1).nextUp, Float(1).nextDown,
            65504, 3.1415927, 2.7182817,
        ]
        for e in -45...38 {
            if let p = Float("1e\(e)") { values += [p, p.nextUp, p.nextDown] }
        }
        for e in -149...127 {
            let p = Float(sign: .plus, exponent: e, significand: 1)
            values += [p, p.nextUp, p.nextDown]
        }
        // The smallest subnormals, whose shortest digits are one or two.
        values += (1...200).map { Float(bitPattern: $0) }
        return values
    }

    @Test(arguments: floatEdges)
    func floatEdgeCasesPrintAsDescriptionDoes(value: Float) {
        #expect(Self.text(value) == value.description)
        #expect(Float(Self.text(value))?.bitPattern == value.bitPattern)
    }

    @Test func nonFiniteFloatsKeepTheirTokens() {
        #expect(Self.text(Float.nan) == "NaN")
        #expect(Self.text(-Float.nan) == "NaN")
        #expect(Self.text(Float.infinity) == "Infinity")
        #expect(Self.text(-Float.infinity) == "-Infinity")
        #expect(Self.text(Double.nan) == "NaN")
        #expect(Self.text(-Double.infinity) == "-Infinity")
    }

    @Test func randomFloatBitPatternsPrintAsDescriptionDoesAndReadBack() {
        var patterns = Patterns(state: 19)
        var wrong: [UInt32] = []
        for _ in 0..<1_000_000 {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: patterns.next()))
            guard value.isFinite else { continue }
            let text = Self.text(value)
            if text != value.description || Float(text)?.bitPattern != value.bitPattern { wrong.append(value.bitPattern) }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
    }

    /// Every 61st subnormal (their spacing is where the interval's arithmetic is tightest).
    @Test func subnormalFloatsPrintAsDescriptionDoes() {
        var wrong: [UInt32] = []
        for bits in stride(from: UInt32(1), to: 0x80_0000, by: 61) {
            let value = Float(bitPattern: bits)
            if Self.text(value) != value.description { wrong.append(bits) }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
    }

    static var doubleEdges: [Double] {
        var values: [Double] = [
            0, -0.0, 1, 0.1, 0.3, 1e-4, 1e-5, 9_007_199_254_740_992, 9_007_199_254_740_994,
            .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, 1e23, 2.2250738585072014e-308,
        ]
        for e in stride(from: -323, through: 308, by: 7) {
            if let p = Double("1e\(e)") { values += [p, p.nextUp, p.nextDown] }
        }
        for e in stride(from: -1074, through: 1023, by: 11) {
            let p = Double(sign: .plus, exponent: e, significand: 1)
            values += [p, p.nextUp, p.nextDown]
        }
        values += (1...50).map { Double(bitPattern: $0) }
        return values
    }

    @Test(arguments: doubleEdges)
    func doubleEdgeCasesPrintAsDescriptionDoes(value: Double) {
        #expect(Self.text(value) == value.description)
        #expect(Double(Self.text(value))?.bitPattern == value.bitPattern)
    }

    @Test func randomDoubleBitPatternsPrintAsDescriptionDoesAndReadBack() {
        var patterns = Patterns(state: 53)
        var wrong: [UInt64] = []
        for _ in 0..<300_000 {
            let value = Double(bitPattern: patterns.next())
            guard value.isFinite else { continue }
            let text = Self.text(value)
            if text != value.description || Double(text)?.bitPattern != value.bitPattern { wrong.append(value.bitPattern) }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
    }

    /// Feature-like values, as tensors hold them: short decimals and their neighbours.
    @Test func typicalTensorValuesPrintAsDescriptionDoes() {
        var patterns = Patterns(state: 7)
        var wrong: [Float] = []
        for _ in 0..<200_000 {
            let value = Float.random(in: -1000...1000, using: &patterns)
            for v in [value, (value * 100).rounded() / 100] where Self.text(v) != v.description { wrong.append(v) }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
    }

    @Test func arraysOfFloatsAreWhatElementByElementWritingGives() {
        var patterns = Patterns(state: 3)
        // Enough values to flush the writer's stack buffer many times.
        for count in [0, 1, 8, 5000] {
            let floats = (0..<count).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: patterns.next())) }
            let doubles = (0..<count).map { _ in Double(bitPattern: patterns.next()) }
            var bulk = JSONWriter()
            var single = JSONWriter()
            bulk.array { w in
                w.int(1)
                w.floats(floats)
                w.doubles(doubles)
                w.int(2)
            }
            single.array { w in
                w.int(1)
                for v in floats { w.float(v) }
                for v in doubles { w.double(v) }
                w.int(2)
            }
            #expect(bulk.bytes == single.bytes)
        }
        var first = JSONWriter()
        first.array { w in w.floats([1, 0.5]) }
        #expect(String(decoding: first.bytes, as: UTF8.self) == "[1.0,0.5]")
    }

    /// Every instruction-set level this machine runs, lowest first: the bulk writer's eight-lane
    /// kernel (Sources/CKernels/float_text.c) at AVX-512, four at a time in Swift below.
    static var levels: [Int32] { Array(0...sluice_cpu_level_detected()) }

    /// `values` through the bulk writer at `level`, against their `description`s joined.
    static func bulkText(_ values: [Float], level: Int32) -> (got: String, want: String) {
        var w = JSONWriter()
        w.array { w in w.floats(values, cpuLevel: level) }
        return (String(decoding: w.bytes, as: UTF8.self), "[" + values.map(\.description).joined(separator: ",") + "]")
    }

    /// The Dragonbox path (`floatDigits`, normal Floats but powers of two) against Schubfach
    /// (`float`, the general path) on random bit patterns: the same decimal once trailing
    /// zeros are gone, with the digit counts the writer's layout relies on.
    @Test func floatDigitsAgreeWithTheGeneralPath() {
        var patterns = Patterns(state: 29)
        var wrong: [UInt32] = []
        for _ in 0..<300_000 {
            let bits = UInt32(truncatingIfNeeded: patterns.next())
            let biased = bits >> 23 & 0xFF
            guard biased != 0, biased != 0xFF, bits & 0x7F_FFFF != 0 else { continue }
            let d = ShortestDecimal.floatDigits(fraction: bits & 0x7F_FFFF, biased: biased)
            var digits = UInt64(d.leading) * 10 + UInt64(d.last)
            var exponent = d.exponent
            let inRange = (100_000..<100_000_000).contains(d.leading) && d.last <= 9
            while digits % 10 == 0 {
                digits /= 10
                exponent += 1
            }
            let expected = ShortestDecimal.float(Float(bitPattern: bits))
            if !inRange || digits != expected.digits || exponent != expected.exponent { wrong.append(bits) }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
    }

    /// Every binade, 257 fractions each with both signs, one value at a time and in bulk at
    /// every level (eight lanes, four at a time), against `description`: every layout the Float
    /// path has.
    @Test func normalFloatsOfEveryBinadePrintAsDescriptionDoes() {
        var wrong: [Float] = []
        for biased in UInt32(1)...254 {
            var binade: [Float] = []
            for fraction in stride(from: UInt32(0), through: 0x7F_FFFF, by: 0x7F_FFFF / 256) {
                let value = Float(bitPattern: biased << 23 | fraction)
                binade += [value, -value]
                if Self.text(value) != value.description || Self.text(-value) != (-value).description { wrong.append(value) }
            }
            for level in Self.levels {
                let (got, want) = Self.bulkText(binade, level: level)
                if got != want { wrong.append(Float(bitPattern: biased << 23)) }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
    }

    /// Tensors as models write them, through the bulk writer: probabilities, features,
    /// softmax tails, large activations, and groups of four mixing in zeros, powers of two,
    /// subnormals and non-finite values (which leave the four-at-a-time path).
    @Test(arguments: [(Float(0), Float(1)), (-3, 3), (1e-9, 1e-4), (1e5, 1e9), (-1e-38, 1e-38)])
    func tensorsPrintAsDescriptionDoes(range: (Float, Float)) {
        var patterns = Patterns(state: 11)
        var values = (0..<4003).map { _ in Float.random(in: range.0..<range.1, using: &patterns) }
        for i in stride(from: 5, to: values.count, by: 97) {
            values[i] = [0, 1, 0.5, 1024, .leastNonzeroMagnitude, -.leastNormalMagnitude, 16_777_216, 10_000_000][i % 8]
        }
        for level in Self.levels {
            let (got, want) = Self.bulkText(values, level: level)
            #expect(got == want, "level \(level)")
            var special = JSONWriter()
            special.array { w in w.floats([1, .nan, -.infinity, 0.25, 3, 0, -0.0, 0.125, 7, 1e-7], cpuLevel: level) }
            #expect(String(decoding: special.bytes, as: UTF8.self) == "[1.0,NaN,-Infinity,0.25,3.0,0.0,-0.0,0.125,7.0,1e-07]")
        }
    }

    /// The eight-lane kernel on groups whose lanes each take a different way: every layout,
    /// both signs, zeros, powers of two (from a table), and about one lane in a hundred at the
    /// rounding interval's bounds (settled by masks, as the others), against `description`; a
    /// group holding a value the kernel leaves (a subnormal, 10^8) is not written. Every bit pattern the kernel takes
    /// was checked against the Swift path when it was written (docs/performance.md).
    @Test(.enabled(if: sluice_cpu_level_detected() >= Int32(SLUICE_CPU_AVX512), "the kernel needs AVX-512"))
    func vectorLanesPrintAsDescriptionDoes() {
        var patterns = Patterns(state: 41)
        let ranges: [(Float, Float)] = [(0, 1), (-3, 3), (-1e7, 1e7), (-1e-4, 1e-4), (-1e-30, 1e-30), (0.001, 0.01), (1e6, 1e7)]
        var wrong: [[Float]] = []
        var written = 0
        for round in 0..<40_000 {
            var group = (0..<8).map { _ -> Float in
                let (low, high) = ranges[Int(patterns.next() % UInt64(ranges.count))]
                return Float.random(in: low..<high, using: &patterns)
            }
            if round % 16 == 0 { group[Int(patterns.next() % 8)] = patterns.next() % 2 == 0 ? 0 : -0.0 }
            if round % 4 == 1 {
                let exponent = Int(patterns.next() % 254) - 126
                let sign: FloatingPointSign = patterns.next() % 2 == 0 ? .plus : .minus
                group[Int(patterns.next() % 8)] = Float(sign: sign, exponent: exponent, significand: 1)
            }
            let text = Self.kernelText(group)
            if text != nil { written += 1 }
            if text != group.map({ "," + $0.description }).joined() { wrong.append(group) }
        }
        #expect(written == 40_000)
        #expect(wrong.isEmpty, "\(wrong.prefix(3))")
        // Groups of nothing but powers of two and zeros (no lane takes the method), and groups the
        // kernel leaves.
        let powers: [Float] = [1, 0.5, -2, 0, .leastNormalMagnitude, Float(sign: .plus, exponent: 127, significand: 1), -0.0, -16_777_216]
        #expect(Self.kernelText(powers) == powers.map { "," + $0.description }.joined())
        #expect(
            Self.kernelText([-33_554_432, -1, 8_388_608, 0.125, -0.0, 1024, 0.0625, -.leastNormalMagnitude])
                == ",-3.3554432e+07,-1.0,8388608.0,0.125,-0.0,1024.0,0.0625,-1.1754944e-38")
        for left: [Float] in [[0.3, 1, 0.5, 0.25, 0.7, 0.1, 2, .leastNonzeroMagnitude], [0.3, 1e8, 0.5, 0.25, 0.7, 0.1, 2, 3]] {
            #expect(Self.kernelText(left) == nil)
        }
    }

    /// `sluice_float_text8` on eight values: their text, or nil when it leaves them.
    static func kernelText(_ values: [Float]) -> String? {
        var bytes = [UInt8](repeating: 0, count: 128)
        let length = values.withUnsafeBufferPointer { v in
            bytes.withUnsafeMutableBufferPointer { sluice_float_text8(v.baseAddress!, $0.baseAddress!, Int32(SLUICE_CPU_AVX512)) }
        }
        return length == 0 ? nil : String(decoding: bytes[0..<length], as: UTF8.self)
    }

    /// The fixed-point logarithms against exact integer comparisons over the ranges used.
    @Test func fixedPointLogarithmsAreExact() {
        /// Non-negative integers as base-2^32 limbs, little-endian: enough for 3·2^1100.
        func times(_ a: [UInt64], _ m: UInt64) -> [UInt64] {
            var out: [UInt64] = []
            var carry: UInt64 = 0
            for limb in a {
                let v = limb * m + carry
                out.append(v & 0xFFFF_FFFF)
                carry = v >> 32
            }
            if carry > 0 { out.append(carry) }
            return out
        }
        func less(_ a: [UInt64], _ b: [UInt64]) -> Bool {
            if a.count != b.count { return a.count < b.count }
            for i in a.indices.reversed() where a[i] != b[i] { return a[i] < b[i] }
            return false
        }
        var two: [[UInt64]] = [[1]]
        for _ in 0..<1200 { two.append(times(two[two.count - 1], 2)) }
        var ten: [[UInt64]] = [[1]]
        for _ in 0..<341 { ten.append(times(ten[ten.count - 1], 10)) }
        for q in 0...1100 {
            // ⌊q·log10 2⌋ = k ⟺ 10^k ≤ 2^q < 10^(k+1).
            let k = ShortestDecimal.floorLog10Pow2(q)
            #expect(!less(two[q], ten[k]) && less(two[q], ten[k + 1]), "q \(q)")
            // For -q: ⌊-q·log10 2⌋ = -k' ⟺ 10^(k'-1) < 2^q < 10^k' (2^q is never a power of ten).
            let kn = -ShortestDecimal.floorLog10Pow2(-q)
            #expect(q == 0 || (less(ten[kn - 1], two[q]) && less(two[q], ten[kn])), "q \(-q)")
        }
        for e in 0...340 {
            let b = ShortestDecimal.floorLog2Pow10(e)
            #expect(!less(ten[e], two[b]) && less(ten[e], two[b + 1]), "e \(e)")
            let bn = -ShortestDecimal.floorLog2Pow10(-e)
            #expect(e == 0 || (less(two[bn - 1], ten[e]) && less(ten[e], two[bn])), "e \(-e)")
        }
        // ⌊q·log10 2 + log10 ¾⌋ = k ⟺ 10^k ≤ 3·2^(q-2) < 10^(k+1), for q ≥ 2 (negative q:
        // every power of two's neighbours are printed against `description` above).
        for q in 2...1100 {
            let k = ShortestDecimal.floorLog10ThreeQuartersPow2(q)
            let threeQuarters = times(two[q - 2], 3)
            #expect(!less(threeQuarters, ten[k]) && less(threeQuarters, ten[k + 1]), "q \(q)")
        }
    }
}
