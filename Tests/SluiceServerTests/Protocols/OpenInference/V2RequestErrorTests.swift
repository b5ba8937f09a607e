import SluiceCore
import Testing
@testable import SluiceServer

/// A request with one input whose fields are `fields` (JSON object members without braces).
private func oneInput(_ fields: String) -> String {
    #"{"inputs": [{\#(fields)}]}"#
}

@Test(arguments: [
    // Not JSON at all.
    (#"{"inputs": ["#, "invalid JSON"),
    (#"{"inputs": []} x"#, "after the JSON value"),
    ("", "invalid JSON"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "INT32", "data": [01]"#), "leading zeros"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "INT32", "data": [+1]"#), "invalid JSON"),
    // Fields missing, repeated or of the wrong type.
    ("{}", "request has no 'inputs'"),
    (#"{"inputs": [], "inputs": []}"#, "duplicate field 'inputs'"),
    (#"{"inputs": {}}"#, "expected an array, found an object"),
    (#"{"id": 5, "inputs": []}"#, "request field 'id'"),
    (#"{"parameters": {"binary_data_output": "yes"}, "inputs": []}"#, "binary_data_output"),
    (#"{"inputs": [], "outputs": [{"parameters": {"binary_data": 1}, "name": "o"}]}"#, "binary_data"),
    (#"{"inputs": [], "outputs": [{}]}"#, "output 0 has no 'name'"),
    (#"{"inputs": [], "outputs": [{"name": "o"}, {"name": "o"}]}"#, "output 'o' appears more than once"),
    (#"{"inputs": [3]}"#, "input 0: expected an object"),
    (oneInput(#""shape": [1], "datatype": "INT32", "data": [1]"#), "input 0 has no 'name'"),
    (oneInput(#""name": "x", "datatype": "INT32", "data": [1]"#), "input 'x' has no 'shape'"),
    (oneInput(#""name": "x", "shape": [1], "data": [1]"#), "input 'x' has no 'datatype'"),
    (oneInput(#""name": "x", "name": "y", "shape": [1], "datatype": "INT32", "data": [1]"#), "duplicate field 'name'"),
    (oneInput(#""name": 3, "shape": [1], "datatype": "INT32", "data": [1]"#), "field 'name': expected a string, found a number"),
    (oneInput(#""name": "x", "shape": "1", "datatype": "INT32", "data": [1]"#), "input 'x' field 'shape'"),
    (oneInput(#""name": "x", "shape": [1.5], "datatype": "INT32", "data": [1]"#), "1.5 is not an integer"),
    (oneInput(#""name": "x", "shape": [NaN], "datatype": "FP32", "data": [1]"#), "field 'shape'"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "FP8", "data": [1]"#), "unknown datatype 'FP8'"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "fp32", "data": [1]"#), "unknown datatype 'fp32'"),
    (#"{"inputs": [{"name": "x", "shape": [1], "datatype": "INT32", "data": [1]}, {"name": "x", "shape": [1], "datatype": "INT32", "data": [2]}]}"#,
     "input 'x' appears more than once"),
    // Shapes.
    (oneInput(#""name": "x", "shape": [-1, 2], "datatype": "INT32", "data": []"#), "negative dimension"),
    (oneInput(#""name": "x", "shape": [4294967296, 4294967296], "datatype": "INT32", "data": []"#), "too many elements"),
    (oneInput(#""name": "x", "shape": [99999999999999999999], "datatype": "INT32", "data": []"#), "out of range"),
    (oneInput(#""name": "x", "shape": [2, 2], "datatype": "INT32", "data": [1, 2, 3]"#), "data has 3 elements but shape [2, 2] needs 4"),
    // Values that do not fit the datatype, named with their tensor.
    (oneInput(#""name": "x", "shape": [1], "datatype": "FP32", "data": [1e999]"#), "input 'x' (FP32): 1e999 is out of range"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "FP64", "data": [-1e999]"#), "input 'x' (FP64): -1e999 is out of range"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "FP32", "data": [3.5e38]"#), "input 'x' (FP32): 3.5e38 is out of range"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "FP16", "data": [70000]"#), "input 'x' (FP16): 70000.0 is out of range for FP16"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "UINT8", "data": [300]"#), "input 'x' (UINT8): 300 is out of range"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "UINT32", "data": [-1]"#), "input 'x' (UINT32): -1 is out of range"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "INT32", "data": [1.5]"#), "input 'x' (INT32): 1.5 is not an integer"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "INT64", "data": [NaN]"#), "input 'x'"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "FP32", "data": [true]"#), "input 'x' (FP32): expected a number, found a boolean"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "FP32", "data": ["1"]"#), "input 'x' (FP32): expected a number, found a string"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "BOOL", "data": [1]"#), "input 'x' (BOOL): expected true or false"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "BYTES", "data": [1]"#), "input 'x' (BYTES): expected a string"),
    // Where the data is.
    (oneInput(#""name": "x", "shape": [1], "datatype": "INT32""#), "neither 'data' nor 'parameters.binary_data_size'"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "INT32", "data": null"#), "neither"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "INT32", "data": [1], "parameters": {"binary_data_size": 4}"#), "both"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "INT32", "parameters": {"binary_data_size": -4}"#), "negative binary_data_size"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "INT32", "parameters": {"binary_data_size": "4"}"#), "binary_data_size"),
    (oneInput(#""name": "x", "shape": [1], "datatype": "INT32", "parameters": {"binary_data_size": 4}"#), "no Inference-Header-Content-Length"),
] as [(String, String)])
func malformedRequestsAreRefusedWithAReason(_ json: String, _ reason: String) {
    let message = invalidInputMessage { _ = try decodeRequest(json) }
    #expect(message?.contains(reason) == true, "got: \(message ?? "no invalidInput")")
}

@Test func invalidUTF8InAStringIsRefused() {
    let body = Array(#"{"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": [""#.utf8) + [0xC3, 0x28]
        + Array(#""]}]}"#.utf8)
    let message = invalidInputMessage { _ = try V2Request.decode(body) }
    #expect(message?.contains("UTF-8") == true)
}

@Test func aHundredThousandNestedArraysInDataFailWithoutExhaustingTheStack() {
    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    for json in [
        oneInput(#""name": "x", "shape": [1], "datatype": "FP32", "data": \#(deep)"#),
        oneInput(#""data": \#(deep), "name": "x", "shape": [1], "datatype": "FP32""#),
        #"{"inputs": [], "extra": \#(deep)}"#,
        #"{"inputs": [], "parameters": {"p": \#(deep)}}"#,
    ] {
        let message = invalidInputMessage { _ = try decodeRequest(json) }
        #expect(message?.contains("nesting") == true || message?.contains("nested deeper") == true, "\(message ?? "none")")
    }
    #expect(throws: ServingError.self) { try decodeRequest(deep) }
}

@Test func aLyingShapeCannotReserveMemoryTheBodyCouldNotFill() {
    // 2^40 elements: refused by the count check, not by an allocation failure.
    let message = invalidInputMessage {
        _ = try decodeRequest(oneInput(#""name": "x", "shape": [1099511627776], "datatype": "FP64", "data": [1]"#))
    }
    #expect(message?.contains("data has 1 elements") == true)
}
