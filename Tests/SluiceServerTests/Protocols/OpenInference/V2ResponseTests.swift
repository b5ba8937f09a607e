import SluiceCore
import SluiceHTTP
import Testing
@testable import SluiceServer

private let response = InferenceResponse(
    modelName: "fraud", modelVersion: 3, id: "r-1",
    outputs: [
        Tensor(unchecked: "probabilities", shape: [2, 2], data: .fp32([0.25, 0.75, .nan, 1])),
        Tensor(unchecked: "label", shape: [2], data: .int64([1, -1])),
    ])

@Test func smallResponseIsWrittenAsExactText() throws {
    let encoded = try V2ResponseEncoder.encode(response)
    #expect(encoded.jsonLength == nil)
    #expect(String(decoding: encoded.body, as: UTF8.self) == #"{"model_name":"fraud","model_version":"3","id":"r-1","outputs":["#
        + #"{"name":"probabilities","datatype":"FP32","shape":[2,2],"data":[0.25,0.75,NaN,1.0]},"#
        + #"{"name":"label","datatype":"INT64","shape":[2],"data":[1,-1]}]}"#)
}

@Test func requestedOutputsComeBackInRequestOrderAndOnlyThose() throws {
    let encoded = try V2ResponseEncoder.encode(response, requested: [RequestedOutput(name: "label")])
    #expect(String(decoding: encoded.body, as: UTF8.self)
        == #"{"model_name":"fraud","model_version":"3","id":"r-1","outputs":[{"name":"label","datatype":"INT64","shape":[2],"data":[1,-1]}]}"#)
    let both = try V2ResponseEncoder.encode(
        response, requested: [RequestedOutput(name: "label"), RequestedOutput(name: "probabilities")])
    #expect(try V2ResponseDecoder.decode(both.body).outputs.map(\.name) == ["label", "probabilities"])
}

@Test func anUnknownRequestedOutputIsRefusedByName() {
    let message = invalidInputMessage {
        _ = try V2ResponseEncoder.encode(response, requested: [RequestedOutput(name: "score")])
    }
    #expect(message?.contains("unknown output 'score'") == true)
    #expect(throws: ServingError.self) {
        try V2ResponseEncoder.checkRequestedOutputs([RequestedOutput(name: "label"), RequestedOutput(name: "x")], available: ["label"])
    }
    #expect(throws: Never.self) {
        try V2ResponseEncoder.checkRequestedOutputs([RequestedOutput(name: "label")], available: ["label", "probabilities"])
    }
}

@Test func binaryOutputsCarryTheirSizeAndFollowTheJSONHeader() throws {
    let encoded = try V2ResponseEncoder.encode(
        response, requested: [RequestedOutput(name: "label", binary: true), RequestedOutput(name: "probabilities")])
    let jsonLength = try #require(encoded.jsonLength)
    #expect(String(decoding: encoded.body[..<jsonLength], as: UTF8.self) == #"{"model_name":"fraud","model_version":"3","id":"r-1","outputs":["#
        + #"{"name":"label","datatype":"INT64","shape":[2],"parameters":{"binary_data_size":16}},"#
        + #"{"name":"probabilities","datatype":"FP32","shape":[2,2],"data":[0.25,0.75,NaN,1.0]}]}"#)
    #expect(Array(encoded.body[jsonLength...]) == littleEndian([Int64(1), -1]))
}

@Test func binaryDataOutputMakesEveryOutputBinaryUnlessOneSaysOtherwise() throws {
    let all = try V2ResponseEncoder.encode(response, binaryDataOutput: true)
    let allLength = try #require(all.jsonLength)
    #expect(all.body.count - allLength == 16 + 16)
    let mixed = try V2ResponseEncoder.encode(
        response, requested: [RequestedOutput(name: "probabilities", binary: false), RequestedOutput(name: "label")],
        binaryDataOutput: true)
    let mixedLength = try #require(mixed.jsonLength)
    #expect(mixed.body.count - mixedLength == 16)
}

@Test(arguments: [false, true])
func responsesReadBackThroughTheResponseDecoder(_ binary: Bool) throws {
    let outputs = DataType.allCases.compactMap { sampleTensors[$0] }
    let sent = InferenceResponse(modelName: "m", modelVersion: 12, id: nil, outputs: outputs)
    let encoded = try V2ResponseEncoder.encode(sent, binaryDataOutput: binary)
    #expect((encoded.jsonLength != nil) == binary)
    let received = try V2ResponseDecoder.decode(encoded.body, jsonLength: encoded.jsonLength)
    #expect(received.modelName == "m")
    #expect(received.modelVersion == 12)
    #expect(received.id == nil)
    #expect(received.outputs == outputs)
}

@Test func responseDecoderAcceptsAnIntegerVersionAndRefusesLyingBinarySizes() throws {
    let json = #"{"model_name":"m","model_version":2,"outputs":[{"name":"y","datatype":"FP64","shape":[1],"parameters":{"binary_data_size":8}}]}"#
    let body = Array(json.utf8) + littleEndian([Double(0.5).bitPattern])
    let decoded = try V2ResponseDecoder.decode(body, jsonLength: json.utf8.count)
    #expect(decoded.modelVersion == 2)
    #expect(decoded.outputs.first?.data == .fp64([0.5]))
    #expect(throws: ServingError.self) { try V2ResponseDecoder.decode(body.dropLast(), jsonLength: json.utf8.count) }
}

@Test func errorBodiesAreRecognisedByTheirMessage() {
    #expect(V2ResponseDecoder.errorMessage(Response(error: ServingError.modelNotFound("x")).body) == "unknown model 'x'")
    #expect(V2ResponseDecoder.errorMessage(Array(#"{"model_name":"m"}"#.utf8)) == nil)
    #expect(V2ResponseDecoder.errorMessage(Array("not json".utf8)) == nil)
}

@Test func bytesThatAreNotUTF8BecomeReplacementCharactersInJSONButSurviveAsBinary() throws {
    let raw: [UInt8] = [0x61, 0xFF, 0x62]
    let sent = InferenceResponse(
        modelName: "m", modelVersion: 1, id: nil, outputs: [Tensor(unchecked: "s", shape: [1], data: .bytes([raw]))])
    let json = try V2ResponseEncoder.encode(sent)
    #expect(try V2ResponseDecoder.decode(json.body).outputs.first?.data == .bytes([Array("a\u{FFFD}b".utf8)]))
    let binary = try V2ResponseEncoder.encode(sent, binaryDataOutput: true)
    #expect(try V2ResponseDecoder.decode(binary.body, jsonLength: binary.jsonLength).outputs.first?.data == .bytes([raw]))
}
