/// A number read without knowing its kind in advance: integers (no fraction, no exponent) that
/// fit `Int64` stay exact, every other number is the nearest `Double`.
///
/// For documents whose schema leaves a number's kind open: model files keep indices apart from
/// weights, and state files read back the integers they wrote.
public enum JSONNumber: Sendable, Equatable {
    case integer(Int64)
    case double(Double)
}

extension JSONReader {
    /// Reads a number as a `JSONNumber`; any other value throws, as does a literal beyond
    /// `Double`'s range. Called by document readers on their own thread, never per request.
    public mutating func readNumber() throws(JSONError) -> JSONNumber {
        let t = try scanNumber()
        if t.isInteger, let i = integer(t, as: Int64.self) { return .integer(i) }
        return .double(try double(t))
    }
}
