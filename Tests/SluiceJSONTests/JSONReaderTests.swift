import Testing
@testable import SluiceJSON

/// Reads one whole document, checking every byte: the strictest thing a reader can be asked.
private func validate(_ text: String) throws(JSONError) {
    try validate(Array(text.utf8))
}

private func validate(_ bytes: [UInt8]) throws(JSONError) {
    let result = bytes.withUnsafeBytes { raw in
        Result { () throws(JSONError) in
            var r = JSONReader(raw)
            try r.skipValue()
            try r.finish()
        }
    }
    try result.get()
}

/// Runs `body` on a reader over `text`, then checks nothing but whitespace is left.
func reading<T>(_ text: String, _ body: (inout JSONReader) throws(JSONError) -> T) throws(JSONError) -> T {
    let bytes = Array(text.utf8)
    let result = bytes.withUnsafeBytes { raw in
        Result { () throws(JSONError) -> T in
            var r = JSONReader(raw)
            let value = try body(&r)
            try r.finish()
            return value
        }
    }
    return try result.get()
}

@Test(arguments: [
    "0", "-0", "12", "-1.5e-3", "1E+5", "1e5", "0.25", "true", "false", "null", "\"\"", " [ ] ", "{}",
    "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"", "\"\\ud83d\\ude00\"", "\"é😀\"",
])
func validDocumentsAreAccepted(_ text: String) throws {
    try validate(text)
}

@Test(arguments: [
    "", "01", "-01", "+1", "1.", ".5", "1e", "1e+", "-", "--1", "0x10", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}",
    "{a:1}", "[1] x", "[1][2]", "tru", "nul", "True", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"",
    "\"\\ud800\\u0041\"", "\"abc", "[", "{", "NaN", "Infinity", "-Infinity", "'a'", "[1 2]",
])
func malformedDocumentsAreRefused(_ text: String) {
    #expect(throws: JSONError.self) { try validate(text) }
}

@Test(arguments: [
    [0x22, 0x01, 0x22],  // raw control character
    [0x22, 0xC3, 0x22],  // truncated sequence
    [0x22, 0xC0, 0xAF, 0x22],  // overlong '/'
    [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8-encoded surrogate
    [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
    [0x22, 0xFF, 0x22],
] as [[UInt8]])
func invalidUTF8InStringsIsRefused(_ bytes: [UInt8]) {
    #expect(throws: JSONError.self) { try validate(bytes) }
}

@Test func escapesAndSurrogatePairsDecodeToTheirCharacters() throws {
    let s = try reading("\"a\\\"\\n\\u00e9\\ud83d\\ude00/é\"") { (r: inout JSONReader) throws(JSONError) in try r.readString() }
    #expect(s == "a\"\né😀/é")
}

@Test func nestingToTheLimitIsReadAndOneDeeperIsRefused() throws {
    let limit = JSONReader.defaultMaxDepth
    try validate(String(repeating: "[", count: limit) + String(repeating: "]", count: limit))
    let error = #expect(throws: JSONError.self) {
        try validate(String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1))
    }
    #expect(error?.message.contains("nesting") == true)
}

@Test func aHundredThousandOpenBracketsFailWithoutExhaustingTheStack() {
    #expect(throws: JSONError.self) { try validate(String(repeating: "[", count: 100_000)) }
    #expect(throws: JSONError.self) { try validate(String(repeating: "{\"a\":", count: 100_000)) }
}

@Test(arguments: [
    ("0.1", Float(0.1)), ("-2.5", -2.5), ("3.4028235e38", .greatestFiniteMagnitude), ("1e-999", 0),
    ("0.30000001192092896", 0.3), ("1.17549435e-38", .leastNormalMagnitude), ("16777217", 16_777_216),
    ("123456789012345678901234567890", 1.2345679e29),
] as [(String, Float)])
func floatsRoundOnceFromTheirDecimalText(_ text: String, _ expected: Float) throws {
    #expect(try reading(text) { (r: inout JSONReader) throws(JSONError) in try r.readFloat() } == expected)
}

@Test func everyFloatSurvivesWritingAndReadingBack() throws {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<2000 {
        let value = Float(bitPattern: generator.next() as UInt32)
        guard value.isFinite else { continue }
        let read = try reading(value.description) { (r: inout JSONReader) throws(JSONError) in try r.readFloat() }
        #expect(read == value, "\(value.description)")
        let double = Double(bitPattern: generator.next())
        guard double.isFinite else { continue }
        let readDouble = try reading(double.description) { (r: inout JSONReader) throws(JSONError) in try r.readDouble() }
        #expect(readDouble == double, "\(double.description)")
    }
}

@Test func numbersBeyondTheirTypeAreRefusedNotMadeInfinite() {
    #expect(throws: JSONError.self) { try reading("1e999") { (r: inout JSONReader) throws(JSONError) in try r.readDouble() } }
    #expect(throws: JSONError.self) { try reading("-1e999") { (r: inout JSONReader) throws(JSONError) in try r.readDouble() } }
    #expect(throws: JSONError.self) { try reading("3.5e38") { (r: inout JSONReader) throws(JSONError) in try r.readFloat() } }
}

@Test func nonFiniteTokensAreReadOnlyWhereAllowed() throws {
    let nan = try reading("NaN") { (r: inout JSONReader) throws(JSONError) in try r.readFloat(allowNonFinite: true) }
    #expect(nan.isNaN)
    #expect(try reading("-Infinity") { (r: inout JSONReader) throws(JSONError) in try r.readDouble(allowNonFinite: true) } == -.infinity)
    #expect(try reading("Infinity") { (r: inout JSONReader) throws(JSONError) in try r.readDouble(allowNonFinite: true) } == .infinity)
    #expect(throws: JSONError.self) { try reading("NaN") { (r: inout JSONReader) throws(JSONError) in try r.readDouble() } }
    #expect(throws: JSONError.self) { try reading("NaN") { (r: inout JSONReader) throws(JSONError) in try r.readInt() } }
    #expect(throws: JSONError.self) { try reading("Infinit") { (r: inout JSONReader) throws(JSONError) in try r.readDouble(allowNonFinite: true) } }
}

@Test func integersMustBeWholeAndInRange() throws {
    #expect(try reading("255") { (r: inout JSONReader) throws(JSONError) in try r.readInteger(UInt8.self) } == 255)
    #expect(try reading("-128") { (r: inout JSONReader) throws(JSONError) in try r.readInteger(Int8.self) } == -128)
    #expect(try reading("-9223372036854775808") { (r: inout JSONReader) throws(JSONError) in try r.readInteger(Int64.self) } == .min)
    #expect(try reading("18446744073709551615") { (r: inout JSONReader) throws(JSONError) in try r.readInteger(UInt64.self) } == .max)
    #expect(try reading("-0") { (r: inout JSONReader) throws(JSONError) in try r.readInteger(UInt32.self) } == 0)
    for (text, bad) in [("256", "UInt8"), ("-1", "UInt8"), ("1.5", "Int32"), ("1e2", "Int32"), ("1.0", "Int32"),
                        ("9223372036854775808", "Int64"), ("18446744073709551616", "UInt64"), ("-129", "Int8")] {
        #expect(throws: JSONError.self, "\(text) as \(bad)") {
            try reading(text) { (r: inout JSONReader) throws(JSONError) in
                switch bad {
                case "UInt8": Int(try r.readInteger(UInt8.self))
                case "Int8": Int(try r.readInteger(Int8.self))
                case "Int32": Int(try r.readInteger(Int32.self))
                case "Int64": Int(try r.readInteger(Int64.self))
                default: Int(truncatingIfNeeded: try r.readInteger(UInt64.self))
                }
            }
        }
    }
}

@Test func objectsAndArraysAreWalkedKeyByKey() throws {
    let text = #"{"a": [1, 2, 3], "skip": {"x": [true, null]}, "b": "c"}"#
    let (a, b) = try reading(text) { (r: inout JSONReader) throws(JSONError) -> ([Int], String) in
        var a: [Int] = []
        var b = ""
        try r.beginObject()
        while let key = try r.nextKey() {
            switch key {
            case "a":
                try r.beginArray()
                while try r.nextElement() { a.append(try r.readInt()) }
            case "b": b = try r.readString()
            default: try r.skipValue()
            }
        }
        return (a, b)
    }
    #expect(a == [1, 2, 3])
    #expect(b == "c")
}

@Test func floatsWrittenAsDoublesRoundLikeTheStandardLibrary() throws {
    // Python sends FP32 data as double reprs; halfway points between floats are the hard case.
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<3000 {
        let f = Float(bitPattern: generator.next() as UInt32)
        guard f.isFinite, !f.nextUp.isInfinite else { continue }
        let halfway = (Double(f) + Double(f.nextUp)) / 2
        let random = Double(bitPattern: generator.next())
        for text in [Double(f).description, halfway.description, halfway.nextUp.description,
                     halfway.nextDown.description, random.description] {
            guard let expected = Float(text), expected.isFinite else { continue }
            let read = try reading(text) { (r: inout JSONReader) throws(JSONError) in try r.readFloat() }
            #expect(read == expected, "\(text)")
        }
    }
}
