import SluiceCore
import Testing
@testable import SluiceServer

@Test func specExampleRequestDecodesToTensorsAndRequestedOutputs() throws {
    let v2 = try decodeRequest(#"""
        {
          "id" : "42",
          "inputs" : [
            {"name" : "input0", "shape" : [ 2, 2 ], "datatype" : "UINT32", "data" : [ 1, 2, 3, 4 ]},
            {"name" : "input1", "shape" : [ 3 ], "datatype" : "BOOL", "data" : [ true, false, true ]}
          ],
          "outputs" : [ {"name" : "output0"}, {"name": "output1", "parameters": {"binary_data": true}} ]
        }
        """#)
    #expect(v2.request.id == "42")
    #expect(v2.request.inputs == [
        Tensor(unchecked: "input0", shape: [2, 2], data: .uint32([1, 2, 3, 4])),
        Tensor(unchecked: "input1", shape: [3], data: .bool([true, false, true])),
    ])
    #expect(v2.request.outputs == [RequestedOutput(name: "output0"), RequestedOutput(name: "output1", binary: true)])
    #expect(!v2.binaryDataOutput)
}

@Test func requestLevelBinaryDataOutputAndUnknownFieldsAreRead() throws {
    let v2 = try decodeRequest(#"""
        {"parameters": {"content_type": "np", "binary_data_output": true}, "extra": [1, {"x": null}],
         "inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "parameters": {"content_type": "np"}, "data": [1]}]}
        """#)
    #expect(v2.binaryDataOutput)
    #expect(v2.request.id == nil)
    #expect(v2.request.outputs.isEmpty)
}

@Test(arguments: DataType.allCases)
func everyDatatypeRoundTripsThroughJSON(_ datatype: DataType) throws {
    let tensor = try #require(sampleTensors[datatype])
    let sent = V2Request(request: InferenceRequest(id: "r", inputs: [tensor], outputs: [RequestedOutput(name: "o", binary: false)]))
    let encoded = sent.encode()
    #expect(encoded.jsonLength == nil)
    let received = try V2Request.decode(encoded.body)
    #expect(received.request.inputs == [tensor])
    #expect(received.request.outputs == sent.request.outputs)
    #expect(received.request.id == "r")
}

@Test(arguments: DataType.allCases)
func everyDatatypeRoundTripsThroughTheBinaryExtension(_ datatype: DataType) throws {
    let tensor = try #require(sampleTensors[datatype])
    let json = Tensor(unchecked: "j", shape: [2], data: .int64([7, 8]))
    let sent = V2Request(request: InferenceRequest(inputs: [tensor, json]), binaryDataOutput: true)
    let encoded = sent.encode(binaryInputs: true)
    let jsonLength = try #require(encoded.jsonLength)
    let received = try V2Request.decode(encoded.body, jsonLength: jsonLength)
    #expect(received.request.inputs == [tensor, json])
    #expect(received.binaryDataOutput)
}

@Test(arguments: [
    ("[[1, 2, 3], [4, 5, 6]]", [2, 3]),
    ("[1, 2, 3, 4, 5, 6]", [2, 3]),
    ("[[[1], [2], [3]], [[4], [5], [6]]]", [2, 3, 1]),
    ("[[1, 2, 3], [4, 5, 6]]", [2, 3, 1]),
    ("[[1, 2, 3, 4, 5, 6]]", [1, 2, 3]),
    ("[[], []]", [2, 0]),
    ("[]", [0, 3]),
    ("[7]", []),
] as [(String, [Int])])
func nestedDataThatAgreesWithTheShapeIsFlattenedRowMajor(_ data: String, _ shape: [Int]) throws {
    let v2 = try decodeRequest(#"{"inputs": [{"name": "x", "datatype": "INT32", "shape": \#(shape), "data": \#(data)}]}"#)
    let count = shape.reduce(1, *)
    let expected: [Int32] = shape == [] ? [7] : (0..<count).map { Int32($0 + 1) }
    #expect(v2.request.inputs.first?.data == .int32(expected))
}

@Test(arguments: [
    ("[[1, 2], [3]]", [2, 2], "depth 2 has 1"),
    ("[[1, 2], 3, 4]", [2, 2], "not rectangular"),
    ("[1, 2, [3, 4]]", [2, 2], "not rectangular"),
    ("[[1, 2, 3], [4, 5, 6]]", [3, 2], "depth 2 has 3 elements, expected 2"),
    ("[[[1, 2]], [[3, 4]]]", [2, 2], "nested deeper"),
    ("[[1, 2], [3, 4], [5, 6]]", [2, 2], "more than the 4 elements"),
    ("[1, 2, 3]", [2, 2], "data has 3 elements but shape [2, 2] needs 4"),
    ("[1, 2, 3, 4, 5]", [2, 2], "more than the 4 elements"),
    ("[[1], [2]]", [], "nested deeper"),
    ("5", [1], "expected an array"),
] as [(String, [Int], String)])
func dataThatDisagreesWithTheShapeIsRefused(_ data: String, _ shape: [Int], _ reason: String) {
    let message = invalidInputMessage {
        _ = try decodeRequest(#"{"inputs": [{"name": "x", "datatype": "INT32", "shape": \#(shape), "data": \#(data)}]}"#)
    }
    #expect(message?.contains("input 'x'") == true, "\(message ?? "no error")")
    #expect(message?.contains(reason) == true, "\(message ?? "no error")")
}

@Test func nanAndInfinityAreReadInFloatingPointData() throws {
    let v2 = try decodeRequest(#"""
        {"inputs": [
          {"name": "a", "datatype": "FP32", "shape": [4], "data": [NaN, Infinity, -Infinity, 1]},
          {"name": "b", "datatype": "FP64", "shape": [2, 1], "data": [[NaN], [-Infinity]]},
          {"name": "c", "datatype": "FP16", "shape": [2], "data": [NaN, Infinity]}
        ]}
        """#)
    let inputs = v2.request.inputs
    guard case .fp32(let a) = inputs[0].data, case .fp64(let b) = inputs[1].data, case .fp16(let c) = inputs[2].data else {
        Issue.record("wrong datatypes: \(inputs)")
        return
    }
    #expect(a[0].isNaN && a[1] == .infinity && a[2] == -.infinity && a[3] == 1)
    #expect(b[0].isNaN && b[1] == -.infinity)
    #expect(c[0].isNaN && c[1] == .infinity)
}

@Test func dataBeforeItsShapeAndDatatypeIsStillReadIntoItsType() throws {
    let v2 = try decodeRequest(#"{"inputs": [{"data": [[1.5, NaN]], "name": "x", "shape": [1, 2], "datatype": "FP64"}]}"#)
    guard case .fp64(let values) = v2.request.inputs.first?.data else {
        Issue.record("not FP64")
        return
    }
    #expect(values[0] == 1.5 && values[1].isNaN)
    #expect(throws: ServingError.self) {
        try decodeRequest(#"{"inputs": [{"data": [1.5], "name": "x", "shape": [1], "datatype": "INT64"}]}"#)
    }
}

@Test func fp16DataInJSONIsNarrowedFromNumbers() throws {
    let v2 = try decodeRequest(#"{"inputs": [{"name": "h", "datatype": "FP16", "shape": [3], "data": [0.5, -2, 65504]}]}"#)
    #expect(v2.request.inputs.first?.data == .fp16([0.5, -2, 65504]))
}

@Test func bytesDataIsTheUTF8OfEachString() throws {
    let v2 = try decodeRequest(#"{"inputs": [{"name": "s", "datatype": "BYTES", "shape": [2], "data": ["é\n", "\u00e9"]}]}"#)
    #expect(v2.request.inputs.first?.data == .bytes([Array("é\n".utf8), Array("é".utf8)]))
}
