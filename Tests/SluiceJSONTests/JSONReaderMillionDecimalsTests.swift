#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import SluiceJSON

/// A fixed-seed generator (SplitMix64), so a failure names the same texts on every run.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `readFloat`'s one-pass path and its token path behind it against the C library's correctly
/// rounded `strtof` (the exact slow path), on a million random decimals written into one JSON
/// array: 1 to 20 significant digits, the point anywhere, an exponent on one in eight. Built as
/// bytes, not a String per number, so the million stays a few seconds in a debug build.
@Test func aMillionRandomDecimalsReadAsStrtofRoundsThem() throws {
    var generator = SplitMix(state: 19)
    let count = 1_000_000
    var text: [UInt8] = [UInt8(ascii: "[")]
    text.reserveCapacity(count * 26)
    var starts: [Int] = []
    starts.reserveCapacity(count)
    // Up to 20 digits per number from two words of about 19 each.
    var words = (generator.next(), generator.next())
    var used = 0
    func digit(from low: UInt64 = 0) -> UInt8 {
        defer { used += 1 }
        let d: UInt64
        if used < 10 {
            d = low + words.0 % (10 - low)
            words.0 /= 10
        } else {
            d = low + words.1 % (10 - low)
            words.1 /= 10
        }
        return UInt8(ascii: "0") + UInt8(d)
    }
    for i in 0..<count {
        if i > 0 { text.append(UInt8(ascii: ",")) }
        starts.append(text.count)
        let shape = generator.next()
        words = (generator.next(), generator.next())
        used = 0
        if shape & 1 != 0 { text.append(UInt8(ascii: "-")) }
        let digits = Int((shape >> 1) % 20) + 1
        // Digits before the point; none means "0." and the digits after it.
        let point = Int((shape >> 8) % UInt64(digits + 1))
        if point == 0 {
            text.append(UInt8(ascii: "0"))
        } else {
            // JSON has no leading zeros.
            text.append(digit(from: 1))
            for _ in 1..<point { text.append(digit()) }
        }
        if point < digits {
            text.append(UInt8(ascii: "."))
            for _ in point..<digits { text.append(digit()) }
        }
        if (shape >> 16) % 8 == 0 {
            // Exponents -45...17 keep even 20 integer digits below Float's largest.
            let e = Int((shape >> 20) % 63) - 45
            text.append(UInt8(ascii: "e"))
            text.append(contentsOf: String(e).utf8)
        }
    }
    text.append(UInt8(ascii: "]"))
    text.append(0)  // strtof reads to a terminator; the reader stops before it.

    var mismatches: [String] = []
    try text.withUnsafeBytes { raw in
        var reader = JSONReader(raw, range: 0..<(raw.count - 1))
        try reader.beginArray()
        var i = 0
        while try reader.nextElement() {
            let read = try reader.readFloat()
            let start = starts[i]
            let expected = raw.baseAddress.map { strtof($0.assumingMemoryBound(to: CChar.self) + start, nil) } ?? .nan
            if read.bitPattern != expected.bitPattern, mismatches.count < 10 {
                let end = text[start...].firstIndex(of: UInt8(ascii: ",")) ?? text.count - 2
                mismatches.append(String(decoding: text[start..<end], as: UTF8.self))
            }
            i += 1
        }
        #expect(i == count)
    }
    #expect(mismatches.isEmpty, "\(mismatches)")
}
