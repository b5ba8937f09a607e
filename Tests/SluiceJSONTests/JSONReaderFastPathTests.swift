import Testing
@testable import SluiceJSON

private func readFloat(_ text: String) throws(JSONError) -> Float {
    try reading(text) { (r: inout JSONReader) throws(JSONError) in try r.readFloat() }
}

/// Random decimal text without an exponent: up to `maxDigits` digits with the point anywhere,
/// including far to the left (`0.000…`), the shapes the plain-float path reads.
private func randomPlainDecimal(maxDigits: Int, using generator: inout some RandomNumberGenerator) -> String {
    let count = Int.random(in: 1...maxDigits, using: &generator)
    var digits = (0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) }
    let leadingZeros = Int.random(in: 0...12, using: &generator)
    let point = Int.random(in: 0...count, using: &generator)
    var text = point == 0 ? "0." + String(repeating: "0", count: leadingZeros) : ""
    if point > 0 {
        // No leading zeros in the integer part: JSON forbids them.
        if point > 1, digits[0] == "0" { digits[0] = "1" }
        text += String(digits[..<point])
        if point < count { text += "." }
    }
    text += String(digits[point...])
    return Bool.random(using: &generator) ? "-" + text : text
}

@Test func plainDecimalsReadAsTheStandardLibraryRoundsThem() throws {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
        let text = randomPlainDecimal(maxDigits: 21, using: &generator)
        guard let expected = Float(text) else { continue }
        let read = try readFloat(text)
        #expect(read.bitPattern == expected.bitPattern, "\(text)")
    }
}

@Test func benchmarkShapedFloatsReadBackExactly() throws {
    // What clients send most: `Float.description` of modest values, up to 9 significant digits.
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
        let value = Float.random(in: -2...2, using: &generator)
        let read = try readFloat(value.description)
        #expect(read.bitPattern == value.bitPattern, "\(value.description)")
    }
}

@Test func pythonReprsOfFloatsReadBackExactly() throws {
    // What Python clients send: a float32 widened to double and written as its repr, often
    // 17 significant digits (`-1.9424059391021729`), read in one pass since they are so common.
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
        let value = Float.random(in: -4...4, using: &generator)
        let text = Double(value).description
        #expect(try readFloat(text).bitPattern == value.bitPattern, "\(text)")
    }
}

@Test func integersHalfwayBetweenFloatsRoundToEven() throws {
    // Above 2^24 floats are spaced 2^k apart; the midpoints and their neighbours are the inputs
    // where narrowing a Double estimate could round the wrong way.
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<5_000 {
        let shift = Int.random(in: 1...30, using: &generator)
        let base = UInt64.random(in: (1 << 23)...(1 << 24), using: &generator) << shift
        let halfway = base + (1 << (shift - 1))
        for n in [halfway - 1, halfway, halfway + 1] {
            let text = String(n)
            let expected = try #require(Float(text))
            #expect(try readFloat(text).bitPattern == expected.bitPattern, "\(text)")
        }
    }
}

@Test(arguments: ["0", "-0", "0.0", "-0.000", "1", "16777216", "16777217", "0.1", "-2.5", "1234567890123456789",
                  "0.0000000000000000000001", "3.4028235e38", "1E2", "12345678901234567890"])
func edgeTokensReadAsTheStandardLibraryRoundsThem(_ text: String) throws {
    let expected = try #require(Float(text))
    #expect(try readFloat(text).bitPattern == expected.bitPattern)
}

@Test(arguments: ["01", "1.", "-", ".5", "1.e3", "--1", "+1"])
func malformedNumbersStillFail(_ text: String) {
    #expect(throws: JSONError.self) { try readFloat(text) }
}

@Test func rawKeysCompareByTheirDecodedBytes() throws {
    let keys = try reading(#"{"name": 1, "na\u006De": 2, "né": 3, "": 4}"#) { (r: inout JSONReader) throws(JSONError) -> [String] in
        var matched: [String] = []
        try r.beginObject()
        while let key = try r.nextRawKey() {
            switch key {
            case "name": matched.append("name")
            case "né": matched.append("né")
            case "": matched.append("empty")
            default: matched.append("other:" + key.string)
            }
            try r.skipValue()
        }
        return matched
    }
    #expect(keys == ["name", "name", "né", "empty"])
}

@Test func eightDigitsAtOnceReadsDigitsAndRefusesEverythingElse() {
    func word(_ text: String) -> UInt64 {
        Array(text.utf8).enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<10_000 {
        let n = UInt64.random(in: 0..<100_000_000, using: &generator)
        let text = String(repeating: "0", count: 8 - String(n).count) + String(n)
        #expect(JSONReader.leadingDigitCount(word(text)) == 8, "\(text)")
        #expect(JSONReader.digitValue(word(text)) == n, "\(text)")
        // Any one byte that is not a digit ends the run there, wherever it is.
        let bad = [UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "e"), 0x00, 0x80, 0xB0, 0xFF, 0x40, 0x20]
        let position = Int.random(in: 0..<8, using: &generator)
        var bytes = Array(text.utf8)
        bytes[position] = bad.randomElement(using: &generator) ?? 0
        let spoiled = bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        #expect(JSONReader.leadingDigitCount(spoiled) == position, "\(bytes)")
    }
}

@Test func aWordOfDigitsEndingEarlyCountsAndConvertsItsLeadingDigits() {
    var generator = SystemRandomNumberGenerator()
    // Every byte value as the first non-digit, at every position, with anything after it.
    for stop in 0..<8 {
        for b in 0...255 where !(0x30...0x39).contains(b) {
            var bytes = (0..<8).map { _ in UInt8(ascii: "0") + UInt8.random(in: 0...9, using: &generator) }
            bytes[stop] = UInt8(b)
            for k in (stop + 1)..<8 { bytes[k] = UInt8.random(in: 0...255, using: &generator) }
            let word = bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            #expect(JSONReader.leadingDigitCount(word) == stop, "\(bytes)")
            let expected = bytes[..<stop].reduce(UInt64(0)) { $0 * 10 + UInt64($1 - 0x30) }
            let shifted = stop == 0 ? 0 : word << UInt64(64 - 8 * stop)
            #expect(JSONReader.digitValue(shifted) == expected, "\(bytes)")
        }
    }
}

@Test func seventeenDigitTextsBesideFloatMidpointsRoundAsTheStandardLibrary() throws {
    // Midpoints between neighbouring floats, and the doubles either side, written as Python
    // writes them (17 significant digits): the inputs where the one-pass path's halfway test,
    // with the wider margin for mantissas above 2^53, must give way to the general path.
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<5_000 {
        let f = Float(bitPattern: UInt32.random(in: 0x3000_0000...0x5000_0000, using: &generator))
        let mid = (Double(f) + Double(f.nextUp)) / 2
        for d in [mid.nextDown, mid, mid.nextUp] {
            let text = String(describing: d)
            guard !text.contains("e"), let expected = Float(text) else { continue }
            #expect(try readFloat(text).bitPattern == expected.bitPattern, "\(text)")
        }
    }
}
