import Foundation
import SluiceCore
import SluiceHTTP
import Testing
@testable import SluiceServer

private let infer = "inference.GRPCInferenceService/ModelInfer"
private let features = (0..<20).map { Float($0) / 20 }

/// A `ModelInfer` request of one FP32 input, in `contents` or in `raw_input_contents`.
private func inferRequest(
    _ model: String, version: String = "", input: String = "input", datatype: String = "FP32", shape: [Int64] = [1, 20],
    values: [Float] = features, raw: Bool = false, outputs: [String] = [], id: String = ""
) -> Inference_ModelInferRequest {
    var call = Inference_ModelInferRequest()
    call.modelName = model
    call.modelVersion = version
    call.id = id
    var tensor = Inference_ModelInferRequest.InferInputTensor()
    tensor.name = input
    tensor.datatype = datatype
    tensor.shape = shape
    if raw {
        call.rawInputContents = [values.withUnsafeBytes { Data($0) }]
    } else {
        tensor.contents.fp32Contents = values
    }
    call.inputs = [tensor]
    call.outputs = outputs.map { name in
        var output = Inference_ModelInferRequest.InferRequestedOutputTensor()
        output.name = name
        return output
    }
    return call
}

/// The same input as a REST V2 JSON body.
private func restBody(input: String = "input", datatype: String = "FP32", shape: [Int] = [1, 20], values: [Float] = features) -> String {
    let data = values.map { "\($0)" }.joined(separator: ",")
    return #"{"inputs":[{"name":"\#(input)","datatype":"\#(datatype)","shape":\#(shape),"data":[\#(data)]}]}"#
}

/// An output's raw bytes as numbers: FP32 and INT64, the types the bundled models answer.
private func numbers(_ raw: Data, _ datatype: String) -> [Double] {
    raw.withUnsafeBytes { bytes in
        switch datatype {
        case "FP32": (0..<bytes.count / 4).map { Double(Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))) }
        case "INT64": (0..<bytes.count / 8).map { Double(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self))) }
        default: []
        }
    }
}

/// `ModelInfer` answers what REST answers for the same model and input, through the same flow.
@Suite struct GRPCInferTests {
    let harness: Harness
    init() throws { harness = try Harness() }

    /// Every output of the gRPC answer equals REST's: name, datatype, shape and values.
    private func expectSameAsREST(_ answer: Inference_ModelInferResponse, rest: [String: Any]?) throws {
        let outputs = try #require(rest?["outputs"] as? [[String: Any]])
        #expect(answer.outputs.map(\.name) == outputs.map { $0["name"] as? String ?? "" })
        #expect(answer.rawOutputContents.count == answer.outputs.count)
        for (i, output) in answer.outputs.enumerated() {
            #expect(output.datatype == outputs[i]["datatype"] as? String)
            #expect(output.shape.map { Int($0) } == outputs[i]["shape"] as? [Int])
            let expected = try #require(outputs[i]["data"] as? [NSNumber]).map { Double(Float($0.doubleValue)) }
            #expect(numbers(answer.rawOutputContents[i], output.datatype).map { Double(Float($0)) } == expected)
        }
    }

    @Test(arguments: [false, true])
    func anInferenceMatchesREST(raw: Bool) throws {
        let rest = try harness.call("POST", "/v2/models/fraud/versions/1/infer", json: restBody())
        #expect(rest.response.status == 200, "\(rest.response.text)")
        let a = try harness.grpc(infer, inferRequest("fraud", version: "1", raw: raw, id: "call-7"))
        let answer = try a.message(Inference_ModelInferResponse.self)
        #expect(answer.modelName == "fraud")
        #expect(answer.modelVersion == "1")
        #expect(answer.id == "call-7")
        #expect(answer.outputs.count == 2)
        try expectSameAsREST(answer, rest: rest.json)
        #expect(a.context.protocolName == "grpc")
        #expect(a.context.model == "fraud" && a.context.version == 1)
        #expect(a.context.computeNanos > 0)
    }

    @Test func requestedOutputsAndTheUnversionedModelAnswerAsREST() throws {
        let iris: [Float] = [5.1, 3.5, 1.4, 0.2]
        let json = restBody(shape: [1, 4], values: iris).dropLast(1) + #","outputs":[{"name":"label"}]}"#
        let rest = try harness.call("POST", "/v2/models/iris/infer", json: String(json))
        #expect(rest.response.status == 200, "\(rest.response.text)")
        let a = try harness.grpc(infer, inferRequest("iris", shape: [1, 4], values: iris, raw: true, outputs: ["label"]))
        let answer = try a.message(Inference_ModelInferResponse.self)
        #expect(answer.outputs.map(\.name) == ["label"])
        #expect(answer.modelVersion == "1")
        try expectSameAsREST(answer, rest: rest.json)
    }

    @Test func aRouteIsPickedByMetadataOrByAStringParameter() throws {
        let byMetadata = try harness.grpc(infer, inferRequest("fraud-ab"), metadata: [("x-canary", "always")])
        let answer = try byMetadata.message(Inference_ModelInferResponse.self)
        #expect(answer.modelName == "fraud-ab")
        #expect(answer.modelVersion == "2")
        #expect(byMetadata.context.route == "fraud-ab" && byMetadata.context.arm == "rule:0")
        var call = inferRequest("fraud-ab")
        var always = Inference_InferParameter()
        always.stringParam = "always"
        call.parameters["x-canary"] = always
        let byParameter = try harness.grpc(infer, call)
        #expect(try byParameter.message(Inference_ModelInferResponse.self).modelVersion == "2")
        #expect(byParameter.context.arm == "rule:0")
        // Metadata wins over a parameter of the same name.
        let both = try harness.grpc(infer, call, metadata: [("x-canary", "never")])
        #expect(both.context.arm != "rule:0")
    }

    /// `parameters["timeout"]` (int64_param, microseconds) is the call's deadline: 0 has passed
    /// before the run, so nothing is computed; one too large to add sets none; another type is
    /// refused. (The harness's calls start at time 0, so a generous timeout is REST's test.)
    @Test func theTimeoutParameterIsTheDeadline() throws {
        func call(_ set: (inout Inference_InferParameter) -> Void) -> Inference_ModelInferRequest {
            var call = inferRequest("fraud", version: "2")
            var timeout = Inference_InferParameter()
            set(&timeout)
            call.parameters["timeout"] = timeout
            return call
        }
        let late = try harness.grpc(infer, call { $0.int64Param = 0 })
        #expect(late.code == .deadlineExceeded)
        #expect(late.context.computeNanos == 0)
        #expect(try harness.grpc(infer, call { $0.int64Param = .max }).message(Inference_ModelInferResponse.self).modelVersion == "2")
        for bad in [call { $0.int64Param = -1 }, call { $0.stringParam = "100" }, call { $0.uint64Param = 100 }] {
            let refused = try harness.grpc(infer, bad)
            #expect(refused.code == .invalidArgument)
            #expect(refused.error?.message == "parameter 'timeout' must be an int64_param of at least 0 (microseconds)")
        }
        let stats = try harness.grpc(
            "inference.GRPCInferenceService/ModelStatistics", {
                var ask = Inference_ModelStatisticsRequest()
                ask.name = "fraud"
                ask.version = "2"
                return ask
            }()).message(Inference_ModelStatisticsResponse.self).modelStats.first
        // One answered run; the late call never reached the backend.
        #expect(stats?.executionCount == 1)
    }

    @Test func aRawEntryThatLiesAboutItsSizeIsInvalidArgument() throws {
        var call = inferRequest("fraud", raw: true)
        call.rawInputContents = [Data(count: 79)]
        let short = try harness.grpc(infer, call)
        #expect(short.code == .invalidArgument)
        #expect(short.error?.message == "input 'input' has 79 bytes of raw_input_contents but shape [1, 20] of FP32 needs 80")
        call.rawInputContents.append(Data(count: 80))
        let extra = try harness.grpc(infer, call)
        #expect(extra.code == .invalidArgument)
        #expect(extra.error?.message.contains("raw_input_contents has 2 entries but the request has 1 inputs") == true)
        var huge = inferRequest("fraud", shape: [Int64.max / 2, 4], raw: true)
        huge.rawInputContents = [Data(count: 80)]
        #expect(try harness.grpc(infer, huge).code == .invalidArgument)
        var mixed = inferRequest("fraud", raw: true)
        mixed.inputs[0].contents.fp32Contents = features
        #expect(try harness.grpc(infer, mixed).error?.message.contains("has contents but the request uses raw_input_contents") == true)
    }

    @Test(arguments: [
        ("x", "FP32", [1, 20], 20),
        ("input", "BYTES", [1, 20], 20),
        ("input", "FP32", [1, 19], 19),
    ] as [(String, String, [Int], Int)])
    func aWrongNameDatatypeOrShapeIsREST400AsInvalidArgument(name: String, datatype: String, shape: [Int], count: Int) throws {
        let values = Array(features.prefix(count))
        let rest = try harness.call("POST", "/v2/models/fraud/infer", json: datatype == "BYTES"
            ? #"{"inputs":[{"name":"input","datatype":"BYTES","shape":[1,20],"data":[\#((0..<20).map { _ in "\"a\"" }.joined(separator: ","))]}]}"#
            : restBody(input: name, shape: shape, values: values))
        #expect(rest.response.status == 400)
        var call = inferRequest("fraud", input: name, datatype: datatype, shape: shape.map { Int64($0) }, values: values)
        if datatype == "BYTES" {
            call.inputs[0].contents = Inference_InferTensorContents()
            call.inputs[0].contents.bytesContents = (0..<20).map { _ in Data("a".utf8) }
        }
        let a = try harness.grpc(infer, call)
        #expect(a.code == .invalidArgument)
        #expect(a.error?.message == rest.json?["error"] as? String)
    }

    @Test func anUnknownModelOrVersionIsNotFoundAndABadBodyInvalidArgument() throws {
        let model = try harness.grpc(infer, inferRequest("nope"))
        #expect(model.code == .notFound)
        #expect(model.error?.message == "unknown model 'nope'")
        let version = try harness.grpc(infer, inferRequest("fraud", version: "9"))
        #expect(version.code == .notFound)
        #expect(version.error?.message == "model 'fraud' has no version 9")
        #expect(try harness.grpc(infer, inferRequest("fraud", version: "x")).code == .invalidArgument)
        let garbage = try harness.grpc(infer, body: [0xFF, 0xFF, 0xFF])
        #expect(garbage.code == .invalidArgument)
        #expect(garbage.context.protocolName == "grpc")
    }

    @Test func gRPCRequestsAreCountedWithTheirProtocol() throws {
        _ = try harness.grpc(infer, inferRequest("fraud", version: "1"))
        _ = try harness.grpc(infer, inferRequest("fraud", version: "9"))
        let scrape = try harness.call("GET", "/metrics").response.text
        #expect(scrape.contains(#"sluice_requests_total{route="",model="fraud",version="1",protocol="grpc",code="200"} 1"#))
    }
}
