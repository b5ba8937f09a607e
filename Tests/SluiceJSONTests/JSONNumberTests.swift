import Testing
@testable import SluiceJSON

@Test(arguments: [
    ("0", JSONNumber.integer(0)), ("-2", .integer(-2)), ("9223372036854775807", .integer(.max)),
    ("-9223372036854775808", .integer(.min)), ("9223372036854775808", .double(9_223_372_036_854_775_808)),
    ("0.5", .double(0.5)), ("1e3", .double(1000)), ("-1.5E-3", .double(-0.0015)), ("2.0", .double(2)),
])
func numbersKeepIntegersApartFromTheRest(_ text: String, _ expected: JSONNumber) throws {
    #expect(try reading(text) { (r: inout JSONReader) throws(JSONError) in try r.readNumber() } == expected)
}

@Test(arguments: ["\"1\"", "true", "1e999", "01", "-", "NaN"])
func readNumberRefusesWhatIsNotAFiniteNumber(_ text: String) {
    #expect(throws: JSONError.self) { try reading(text) { (r: inout JSONReader) throws(JSONError) in try r.readNumber() } }
}
