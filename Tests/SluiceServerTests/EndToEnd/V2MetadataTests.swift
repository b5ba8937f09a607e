import Foundation
import SluiceJSON
import Testing
@testable import SluiceServer

/// Health, server and model metadata over a real socket, on the bundled repository.
@Suite struct V2MetadataTests {
    let server: TestServer
    init() throws { server = try TestServer() }

    @Test func liveAndReadyAnswer200() throws {
        let c = try server.client()
        #expect(try c.request("GET", "/v2/health/live").status == 200)
        let ready = try c.request("GET", "/v2/health/ready")
        #expect(ready.status == 200)
        #expect(ready.json?["ready"] as? Bool == true)
    }

    @Test func serverMetadataListsItsExtensions() throws {
        let a = try server.client().request("GET", "/v2")
        #expect(a.status == 200)
        #expect(a.json?["name"] as? String == "sluice")
        #expect((a.json?["extensions"] as? [String])?.contains("binary_tensor_data") == true)
    }

    @Test func modelMetadataListsReadyVersionsAndSignature() throws {
        let a = try server.client().request("GET", "/v2/models/fraud")
        #expect(a.status == 200)
        let json = try #require(a.json)
        #expect(json["name"] as? String == "fraud")
        #expect(json["versions"] as? [String] == ["1", "2"])
        #expect(json["platform"] as? String == "xgboost")
        let inputs = try #require(json["inputs"] as? [[String: Any]])
        #expect(inputs.first?["name"] as? String == "input")
        #expect(inputs.first?["datatype"] as? String == "FP32")
        #expect(inputs.first?["shape"] as? [Int] == [-1, 20])
        let outputs = try #require(json["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["name"] as? String } == ["probabilities", "label"])
    }

    @Test func versionMetadataAndReadinessNameTheVersion() throws {
        let c = try server.client()
        let meta = try c.request("GET", "/v2/models/fraud/versions/1")
        #expect(meta.status == 200)
        #expect(meta.json?["versions"] as? [String] == ["1"])
        let ready = try c.request("GET", "/v2/models/fraud/versions/1/ready")
        #expect(ready.status == 200)
        #expect(ready.json?["ready"] as? Bool == true)
        #expect(try c.request("GET", "/v2/models/iris/ready").status == 200)
    }

    @Test(arguments: [
        ("/v2/models/nope", 404), ("/v2/models/nope/ready", 404), ("/v2/models/fraud/versions/9", 404),
        ("/v2/models/fraud/versions/9/ready", 404), ("/v2/models/fraud/versions/abc", 400),
        ("/v2/models/fraud/versions/0/ready", 400), ("/v2/nothing/here", 404),
    ])
    func unknownThingsAnswerTheirStatusWithAJSONError(_ path: String, _ status: Int) throws {
        let a = try server.client().request("GET", path)
        #expect(a.status == status)
        #expect(a.error?.isEmpty == false)
        #expect(a.headers["content-type"] == "application/json")
    }

    @Test func aWrongMethodAnswers405WithAllow() throws {
        let a = try server.client().request("DELETE", "/v2/models/fraud/infer")
        #expect(a.status == 405)
        #expect(a.headers["allow"] == "POST")
        #expect(a.error != nil)
    }

    @Test func headAnswersTheHeadersWithoutABody() throws {
        let c = try server.client()
        let a = try c.request("HEAD", "/v2/health/live")
        #expect(a.status == 200)
        #expect(a.body.isEmpty)
        #expect(Int(a.headers["content-length"] ?? "") ?? 0 > 0)
        // The connection is still in step: the next answer is the next request's.
        #expect(try c.request("GET", "/v2").status == 200)
    }
}
