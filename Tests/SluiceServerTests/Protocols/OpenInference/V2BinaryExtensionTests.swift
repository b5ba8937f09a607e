import SluiceCore
import Testing
@testable import SluiceServer

@Test func binaryInputsFollowTheJSONInInputOrder() throws {
    let json = #"""
        {"inputs": [
          {"name": "a", "shape": [2], "datatype": "FP32", "parameters": {"binary_data_size": 8}},
          {"name": "b", "shape": [1], "datatype": "INT64", "data": [5]},
          {"name": "c", "shape": [3], "datatype": "BOOL", "parameters": {"binary_data_size": 3}},
          {"name": "d", "shape": [2], "datatype": "BYTES", "parameters": {"binary_data_size": 11}}
        ]}
        """#
    let binary = littleEndian([Float(1.5).bitPattern, Float.nan.bitPattern]) + [1, 0, 1]
        + littleEndian([UInt32(3)]) + Array("abc".utf8) + littleEndian([UInt32(0)])
    let inputs = try decodeRequest(json, binary: binary).request.inputs
    #expect(inputs.map(\.name) == ["a", "b", "c", "d"])
    guard case .fp32(let a) = inputs[0].data else {
        Issue.record("a is not FP32")
        return
    }
    #expect(a[0] == 1.5 && a[1].isNaN)
    #expect(inputs[1].data == .int64([5]))
    #expect(inputs[2].data == .bool([true, false, true]))
    #expect(inputs[3].data == .bytes([Array("abc".utf8), []]))
}

private let oneFP32Pair = #"{"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "parameters": {"binary_data_size": 8}}]}"#

@Test(arguments: [
    (oneFP32Pair, 4, "only 4 bytes of binary data remain"),
    (oneFP32Pair, 12, "4 bytes of binary data follow the last binary tensor"),
    (#"{"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "parameters": {"binary_data_size": 4}}]}"#, 4,
     "binary_data_size 4 but shape [2] of FP32 needs 8 bytes"),
    (#"{"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "data": [1, 2]}]}"#, 3,
     "3 bytes of binary data follow"),
    (#"{"inputs": [{"name": "x", "shape": [2], "datatype": "BOOL", "parameters": {"binary_data_size": 2}}]}"#, 2,
     "input 'x': BOOL byte 7 is neither 0 nor 1"),
] as [(String, Int, String)])
func binaryDataOfTheWrongLengthIsRefused(_ json: String, _ byteCount: Int, _ reason: String) {
    let message = invalidInputMessage { _ = try decodeRequest(json, binary: [UInt8](repeating: 7, count: byteCount)) }
    #expect(message?.contains(reason) == true, "got: \(message ?? "no invalidInput")")
}

@Test(arguments: [
    (littleEndian([UInt32(100)]) + Array("abc".utf8), "claims 100 bytes but 3 remain"),
    ([1, 0], "truncated length prefix"),
    (littleEndian([UInt32(1)]) + [65] + littleEndian([UInt32(0)]) + littleEndian([UInt32(0)]), "more than 2 BYTES elements"),
    (littleEndian([UInt32(1)]) + [65], "holds 1 BYTES elements but the shape needs 2"),
] as [([UInt8], String)])
func bytesElementsWithLyingLengthsAreRefused(_ segment: [UInt8], _ reason: String) {
    let json = #"{"inputs": [{"name": "s", "shape": [2], "datatype": "BYTES", "parameters": {"binary_data_size": \#(segment.count)}}]}"#
    let message = invalidInputMessage { _ = try decodeRequest(json, binary: segment) }
    #expect(message?.contains("input 's'") == true, "got: \(message ?? "no invalidInput")")
    #expect(message?.contains(reason) == true, "got: \(message ?? "no invalidInput")")
}

@Test func aHeaderLengthThatCutsTheJSONShortIsInvalidJSON() {
    let body = Array(oneFP32Pair.utf8) + [UInt8](repeating: 0, count: 8)
    let message = invalidInputMessage { _ = try V2Request.decode(body, jsonLength: 20) }
    #expect(message?.contains("invalid JSON") == true)
}

@Test func aHeaderLengthBeyondTheBodyIsRefused() {
    let body = Array(oneFP32Pair.utf8)
    let message = invalidInputMessage { _ = try V2Request.decode(body, jsonLength: body.count + 1) }
    #expect(message?.contains("larger than the body") == true)
    #expect(throws: ServingError.self) { try V2Request.decode(body, jsonLength: -1) }
}

@Test(arguments: ["", "-1", "+5", "1.0", " 5", "abc", "99999999999999999999999", "101"])
func headerLengthsThatAreNotAByteCountWithinTheBodyAreRefused(_ value: String) {
    #expect(throws: ServingError.self) { try V2BinaryHeader.parseLength(value, bodyCount: 100) }
}

@Test func headerLengthIsDecimalDigits() throws {
    #expect(try V2BinaryHeader.parseLength("0", bodyCount: 0) == 0)
    #expect(try V2BinaryHeader.parseLength("100", bodyCount: 100) == 100)
}
