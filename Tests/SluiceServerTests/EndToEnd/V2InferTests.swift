import Foundation
import Testing
@testable import SluiceServer
import SluiceCore

private let row = (0..<20).map { Double($0) / 10 - 1 }
private let rowJSON = row.map { String($0) }.joined(separator: ",")

/// Inference over a real socket on the bundled repository: JSON and binary, with and without
/// a version, and every way a request can be wrong.
@Suite struct V2InferTests {
    let server: TestServer
    init() throws { server = try TestServer() }

    private func infer(_ body: String, path: String = "/v2/models/fraud/infer", headers: [String: String] = [:]) throws -> RawClient.Answer {
        try server.client().request("POST", path, json: body, headers: headers)
    }

    @Test func inferWithoutAVersionRunsTheHighestReadyOne() throws {
        let a = try infer(#"{"id":"req-7","inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#(rowJSON)]}]}"#)
        #expect(a.status == 200, "\(a.text)")
        #expect(a.headers["x-sluice-model-version"] == "2")
        let json = try #require(a.json)
        #expect(json["model_name"] as? String == "fraud")
        #expect(json["model_version"] as? String == "2")
        #expect(json["id"] as? String == "req-7")
        let outputs = try #require(json["outputs"] as? [[String: Any]])
        let probabilities = try #require(outputs.first { $0["name"] as? String == "probabilities" })
        #expect(probabilities["shape"] as? [Int] == [1, 2])
        let p = try #require(probabilities["data"] as? [Double])
        #expect(abs(p[0] + p[1] - 1) < 1e-6)
        let label = try #require(outputs.first { $0["name"] as? String == "label" })
        #expect(label["datatype"] as? String == "INT64")
    }

    @Test func aVersionInThePathServesThatVersion() throws {
        let body = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#(rowJSON)]}]}"#
        let a = try infer(body, path: "/v2/models/fraud/versions/1/infer")
        #expect(a.status == 200)
        #expect(a.headers["x-sluice-model-version"] == "1")
        #expect(a.json?["model_version"] as? String == "1")
    }

    @Test func nestedDataFP64AndRequestedOutputsWork() throws {
        let nested = "[[\(rowJSON)],[\(rowJSON)]]"
        let a = try infer(#"{"inputs":[{"name":"input","datatype":"FP64","shape":[2,20],"data":\#(nested)}],"outputs":[{"name":"label"}]}"#)
        #expect(a.status == 200, "\(a.text)")
        let outputs = try #require(a.json?["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["name"] as? String } == ["label"])
        #expect(outputs.first?["shape"] as? [Int] == [2])
    }

    @Test func nanIsAMissingValueNotAnError() throws {
        let data = (["NaN"] + row.dropFirst().map { String($0) }).joined(separator: ",")
        let a = try infer(#"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#(data)]}]}"#)
        #expect(a.status == 200, "\(a.text)")
    }

    @Test func theMulticlassModelAnswersOneProbabilityPerClass() throws {
        let a = try infer(#"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[5.1,3.5,1.4,0.2]}]}"#, path: "/v2/models/iris/infer")
        #expect(a.status == 200, "\(a.text)")
        let outputs = try #require(a.json?["outputs"] as? [[String: Any]])
        let probabilities = try #require(outputs.first { $0["name"] as? String == "probabilities" })
        #expect(probabilities["shape"] as? [Int] == [1, 3])
        let label = try #require(outputs.first { $0["name"] as? String == "label" })
        #expect(label["data"] as? [Int] == [0])
    }

    @Test func theLightGBMModelAnswersOverTheWire() throws {
        let a = try infer(
            #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,10],"data":[0.5,-1,0.3,2,0,0.1,-0.3,1.2,0.7,-2]}]}"#,
            path: "/v2/models/churn-lgbm/infer")
        #expect(a.status == 200, "\(a.text)")
        let outputs = try #require(a.json?["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["name"] as? String } == ["probabilities", "label"])
        #expect(outputs.first?["shape"] as? [Int] == [1, 2])
    }

    @Test func binaryTensorDataGoesBothWays() throws {
        let header = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"parameters":{"binary_data_size":80}}],"outputs":[{"name":"probabilities","parameters":{"binary_data":true}},{"name":"label"}]}"#
        var body = Array(header.utf8)
        for v in row { withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { body += $0 } }
        let a = try server.client().request("POST", "/v2/models/fraud/infer", body: body, headers: [
            "Inference-Header-Content-Length": String(header.utf8.count), "Content-Type": "application/octet-stream"])
        #expect(a.status == 200, "\(a.text)")
        let jsonLength = try #require(Int(a.headers["inference-header-content-length"] ?? ""))
        let response = try V2ResponseDecoder.decode(a.body, jsonLength: jsonLength)
        #expect(response.outputs.map(\.name) == ["probabilities", "label"])
        guard case .fp32(let p) = response.outputs[0].data else { Issue.record("not FP32"); return }
        #expect(p.count == 2)
        #expect(abs(p[0] + p[1] - 1) < 1e-6)
        // The same row as JSON gives the same numbers.
        let json = try infer(#"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#(rowJSON)]}]}"#)
        let jp = ((json.json?["outputs"] as? [[String: Any]])?.first?["data"] as? [Double]) ?? []
        #expect(jp.map { Float($0) } == p)
    }

    @Test(arguments: [
        ("not json", "invalid JSON"),
        (#"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[1,2]}]}"#, "data/shape mismatch"),
        (#"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,19],"data":[\#((0..<19).map { _ in "0" }.joined(separator: ","))]}]}"#, "wrong feature count"),
        (#"{"inputs":[{"name":"input","datatype":"BYTES","shape":[1],"data":["x"]}]}"#, "wrong datatype"),
        (#"{"inputs":[{"name":"input","datatype":"FP33","shape":[1],"data":[1]}]}"#, "unknown datatype"),
        (#"{"inputs":[{"name":"features","datatype":"FP32","shape":[1,20],"data":[\#(rowJSON)]}]}"#, "wrong input name"),
        (#"{"inputs":[]}"#, "missing input"),
        (#"{"inputs":[{"name":"input","datatype":"FP32","shape":[-1,20],"data":[]}]}"#, "negative dim"),
        (#"{"inputs":[{"name":"input","datatype":"FP32","shape":[4294967296,4294967296,4294967296],"data":[]}]}"#, "shape overflow"),
        (#"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[1e999\#(String(repeating: ",0", count: 19))]}]}"#, "1e999"),
        (#"{"inputs":[{"name":"input","datatype":"FP32","shape":[NaN,20],"data":[]}]}"#, "NaN in shape"),
        (String(repeating: "[", count: 100_000), "deep nesting"),
        (#"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#(rowJSON)]}],"outputs":[{"name":"nope"}]}"#, "unknown output"),
        (#"{"inputs":[{"name":"input","datatype":"FP32","shape":[300,20],"data":[\#(Array(repeating: "0", count: 6000).joined(separator: ","))]}]}"#, "over max_batch_size"),
    ])
    func malformedInferencesAnswer400WithAReason(_ body: String, _ what: String) throws {
        let c = try server.client()
        let a = try c.request("POST", "/v2/models/fraud/infer", json: body)
        #expect(a.status == 400, "\(what): \(a.status) \(a.text)")
        #expect(a.error?.isEmpty == false, "\(what)")
        // The connection is kept: the next request on it works.
        #expect(try c.request("GET", "/v2/health/live").status == 200, "\(what)")
    }

    @Test func binarySizesThatLieAnswer400() throws {
        let header = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"parameters":{"binary_data_size":80}}]}"#
        for extra in [-4, 4] {
            let body = Array(header.utf8) + [UInt8](repeating: 0, count: 80 + extra)
            let a = try server.client().request("POST", "/v2/models/fraud/infer", body: body, headers: [
                "Inference-Header-Content-Length": String(header.utf8.count)])
            #expect(a.status == 400, "\(extra): \(a.text)")
        }
        let a = try server.client().request("POST", "/v2/models/fraud/infer", body: Array(header.utf8), headers: [
            "Inference-Header-Content-Length": "99999"])
        #expect(a.status == 400)
    }

    @Test func unknownModelsAndVersionsAnswer404() throws {
        let body = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#(rowJSON)]}]}"#
        #expect(try infer(body, path: "/v2/models/nope/infer").status == 404)
        #expect(try infer(body, path: "/v2/models/fraud/versions/7/infer").status == 404)
        #expect(try infer(body, path: "/v2/models/fraud/versions/x/infer").status == 400)
    }

    @Test(arguments: ["Application/JSON; charset=utf-8", " application/json ", "application/x-www-form-urlencoded", "text/plain"])
    func contentTypesThatCarryJSONAreRead(_ type: String) throws {
        let body = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#(rowJSON)]}]}"#
        let a = try server.client().request("POST", "/v2/models/fraud/infer", body: Array(body.utf8), headers: ["Content-Type": type])
        #expect(a.status == 200, "\(type): \(a.text)")
    }

    @Test func anUnsupportedContentTypeAnswers415() throws {
        let a = try server.client().request("POST", "/v2/models/fraud/infer", body: Array("<xml/>".utf8), headers: ["Content-Type": "text/xml"])
        #expect(a.status == 415)
        #expect(a.error != nil)
    }

    @Test func aChunkedBodyWithExpectContinueIsServed() throws {
        let c = try server.client()
        let body = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#(rowJSON)]}]}"#
        c.send("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n")
        #expect(try c.readAnswer().status == 100)
        let half = body.utf8.count / 2
        let a = String(body.prefix(half)), b = String(body.dropFirst(half))
        c.send("\(String(a.utf8.count, radix: 16))\r\n\(a)\r\n\(String(b.utf8.count, radix: 16))\r\n\(b)\r\n0\r\n\r\n")
        let answer = try c.readAnswer()
        #expect(answer.status == 200, "\(answer.text)")
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let c = try server.client()
        let body = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#(rowJSON)]}]}"#
        var bytes = ""
        for v in [1, 2, 1] {
            bytes += "POST /v2/models/fraud/versions/\(v)/infer HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        }
        bytes += "GET /v2/models/nope HTTP/1.1\r\nHost: x\r\n\r\n"
        c.send(bytes)
        let answers = try (0..<4).map { _ in try c.readAnswer() }
        #expect(answers.map(\.status) == [200, 200, 200, 404])
        #expect(answers.prefix(3).map { $0.headers["x-sluice-model-version"] } == ["1", "2", "1"])
    }
}
