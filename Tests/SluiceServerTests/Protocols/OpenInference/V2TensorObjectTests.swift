import SluiceCore
import SluiceJSON
import Testing
@testable import SluiceServer

/// The datatype named by the JSON string `text` (quotes included), read as the decoder reads it.
private func wireType(_ text: String) throws -> DataType? {
    let result = Array(text.utf8).withUnsafeBytes { raw in
        Result { () throws(JSONError) -> DataType? in
            var r = JSONReader(raw)
            return DataType(wireName: try r.readRawString())
        }
    }
    return try result.get()
}

@Test func everyDatatypeIsFoundByItsWireName() throws {
    for datatype in DataType.allCases {
        #expect(try wireType("\"" + datatype.rawValue + "\"") == datatype)
    }
    let others: [(String, DataType?)] = [
        ("FP3", nil), ("fp32", nil), ("FP322", nil), ("UINT1", nil), ("BYTEZ", nil), ("INT9", nil), ("UNT16", nil),
        ("", nil), ("F\\u005032", .fp32), ("FP\\u0033\\u0032", .fp32),
    ]
    for (text, expected) in others {
        #expect(try wireType("\"" + text + "\"") == expected, "\(text)")
    }
}
