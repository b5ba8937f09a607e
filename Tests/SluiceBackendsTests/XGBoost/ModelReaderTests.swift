@testable import SluiceBackends
import Testing

/// The JSON and UBJSON readers fed bytes directly.
@Suite struct ModelReaderTests {
    @Test func jsonKeepsIntegersApartFromFloats() throws {
        let value = try ModelValue.parseJSON(Array(#"{"a": [1, -2, 0.5, 1e-3], "s": "x\"\u0041"}"#.utf8))
        guard case .object(let members) = value, case .array(let items)? = members["a"],
            case .string(let s)? = members["s"]
        else {
            Issue.record("unexpected shape \(value)")
            return
        }
        #expect(s == "x\"A")
        guard items.count == 4, case .integer(1) = items[0], case .integer(-2) = items[1],
            case .double(0.5) = items[2], case .double(let small) = items[3]
        else {
            Issue.record("unexpected numbers \(items)")
            return
        }
        #expect(small == 1e-3)
    }

    /// Malformed JSON and words the error must contain.
    static let badJSON: [(text: String, reason: String)] = [
        (#"{"a": [1, 2"#, "truncated"),
        (#"{"a": 1} x"#, "after the JSON value"),
        (#"{"a" 1}"#, "expected ':'"),
        (#"{"a": tru}"#, "invalid literal"),
        (#"{"a": 1.2.3}"#, "expected ',' or '}'"),
        (String(repeating: "[", count: 300), "nesting deeper"),
        ("", "truncated"),
    ]

    @Test(arguments: badJSON)
    func malformedJSONIsRefused(_ text: String, _ reason: String) {
        do {
            _ = try ModelValue.parseJSON(Array(text.utf8))
            Issue.record("parsed \(text)")
        } catch {
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
    }

    @Test func ubjsonReadsTypedCountedArrays() throws {
        // {"f": [$d#i2 1.5 -2], "i": [$l#i2 7 -1], "u": [$U#i1 1], "s": S i1 "x", "n": [#i1 i 3]}
        let bytes: [UInt8] =
            [0x7B, 0x69, 1, 0x66, 0x5B, 0x24, 0x64, 0x23, 0x69, 2, 0x3F, 0xC0, 0, 0, 0xC0, 0, 0, 0]
            + [0x69, 1, 0x69, 0x5B, 0x24, 0x6C, 0x23, 0x69, 2, 0, 0, 0, 7, 0xFF, 0xFF, 0xFF, 0xFF]
            + [0x69, 1, 0x75, 0x5B, 0x24, 0x55, 0x23, 0x69, 1, 1]
            + [0x69, 1, 0x73, 0x53, 0x69, 1, 0x78]
            + [0x69, 1, 0x6E, 0x5B, 0x23, 0x69, 1, 0x69, 3, 0x7D]
        let field = ModelField(value: try UBJSONReader.parse(bytes), path: "", file: "model.ubj")
        #expect(try field.member("f").floats() == [1.5, -2])
        #expect(try field.member("i").int32s() == [7, -1])
        #expect(try field.member("u").int32s() == [1])
        #expect(try field.member("s").string() == "x")
        #expect(try field.member("n").int32s() == [3])
    }

    @Test func ubjsonReadsOpenEndedContainers() throws {
        // {i1 "a" [ i 1 N i 2 ] }
        let bytes: [UInt8] = [0x7B, 0x69, 1, 0x61, 0x5B, 0x69, 1, 0x4E, 0x69, 2, 0x5D, 0x7D]
        let field = ModelField(value: try UBJSONReader.parse(bytes), path: "", file: "model.ubj")
        #expect(try field.member("a").int32s() == [1, 2])
    }

    /// Malformed UBJSON and words the error must contain.
    static let badUBJSON: [(bytes: [UInt8], reason: String)] = [
        // A typed array claiming 2^31 float32s in a 12-byte file.
        ([0x5B, 0x24, 0x64, 0x23, 0x6C, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0], "exceeds the file"),
        ([0x5B, 0x24, 0x64, 0x23, 0x69, 3, 0, 0, 0, 0], "exceeds the file"),
        ([0x7B, 0x69, 5, 0x61], "truncated"),
        ([0x5B, 0x23, 0x69, 0xFF], "negative length"),
        ([0x51], "unknown type marker"),
        (Array(repeating: 0x5B, count: 300), "nesting deeper"),
    ]

    @Test(arguments: badUBJSON)
    func malformedUBJSONIsRefused(_ bytes: [UInt8], _ reason: String) {
        do {
            _ = try UBJSONReader.parse(bytes)
            Issue.record("parsed \(bytes)")
        } catch {
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
    }

    @Test func formatIsSniffedFromTheContent() {
        #expect(XGBoostBackend.isUBJSON(Array("{L".utf8)))
        #expect(!XGBoostBackend.isUBJSON(Array(#"{"learner"#.utf8)))
        #expect(!XGBoostBackend.isUBJSON(Array("{\n".utf8)))
    }
}
