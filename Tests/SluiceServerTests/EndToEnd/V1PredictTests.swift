import Foundation
import SluiceJSON
import Testing
@testable import SluiceServer

private let rowA = (0..<20).map { Double($0) / 10 - 1 }
private let rowB = (0..<20).map { Double(20 - $0) / 7 }
private func json(_ row: [Double]) -> String { "[" + row.map { String($0) }.joined(separator: ",") + "]" }

/// KServe V1 / TF-Serving REST over a real socket on the bundled repository: both body forms,
/// versions and labels, status, and the ways a body can be wrong. Expected numbers come from
/// the same server's V2 answer for the same rows, which the reference-output tests tie to
/// xgboost itself.
@Suite struct V1PredictTests {
    let server: TestServer
    init() throws { server = try TestServer() }

    private func post(_ path: String, _ body: String) throws -> RawClient.Answer {
        try server.client().request("POST", path, json: body)
    }

    /// V2's probabilities for `rows` on `version` of fraud, row by row.
    private func v2Probabilities(_ rows: [[Double]], version: Int) throws -> [[Double]] {
        let flat = rows.flatMap { $0 }
        let a = try post("/v2/models/fraud/versions/\(version)/infer",
                         #"{"inputs":[{"name":"input","datatype":"FP32","shape":[\#(rows.count),20],"data":\#(json(flat))}]}"#)
        let outputs = try #require(a.json?["outputs"] as? [[String: Any]])
        let p = try #require(outputs.first { $0["name"] as? String == "probabilities" }?["data"] as? [Double])
        return stride(from: 0, to: p.count, by: 2).map { [p[$0], p[$0 + 1]] }
    }

    @Test func rowFormAnswersOnePredictionPerRowNamingEachOutput() throws {
        let a = try post("/v1/models/fraud:predict", #"{"instances":[\#(json(rowA)),\#(json(rowB))]}"#)
        #expect(a.status == 200, "\(a.text)")
        #expect(a.headers["x-sluice-model-version"] == "2")
        let predictions = try #require(a.json?["predictions"] as? [[String: Any]])
        #expect(predictions.count == 2)
        let expected = try v2Probabilities([rowA, rowB], version: 2)
        for (prediction, want) in zip(predictions, expected) {
            #expect(prediction["probabilities"] as? [Double] == want)
            let label = try #require(prediction["label"] as? Int)
            #expect(label == (want[1] > want[0] ? 1 : 0))
        }
    }

    @Test func columnarFormAnswersNestedOutputsByName() throws {
        let a = try post("/v1/models/fraud/versions/1:predict", #"{"signature_name":"serving_default","inputs":[\#(json(rowA)),\#(json(rowB))]}"#)
        #expect(a.status == 200, "\(a.text)")
        #expect(a.headers["x-sluice-model-version"] == "1")
        let outputs = try #require(a.json?["outputs"] as? [String: Any])
        #expect(outputs["probabilities"] as? [[Double]] == (try v2Probabilities([rowA, rowB], version: 1)))
        #expect((outputs["label"] as? [Int])?.count == 2)
    }

    @Test func aLabelServesTheVersionItPointsTo() throws {
        let stable = try post("/v1/models/fraud/labels/stable:predict", #"{"instances":[\#(json(rowA))]}"#)
        #expect(stable.status == 200, "\(stable.text)")
        #expect(stable.headers["x-sluice-model-version"] == "1")
        let canary = try post("/v1/models/fraud/labels/canary:predict", #"{"instances":[\#(json(rowA))]}"#)
        #expect(canary.headers["x-sluice-model-version"] == "2")
    }

    @Test func instancesMayNameTheirInput() throws {
        let a = try post("/v1/models/iris:predict", #"{"instances":[{"input":[5.1,3.5,1.4,0.2]},{"input":[6.7,3.0,5.2,2.3]}]}"#)
        #expect(a.status == 200, "\(a.text)")
        let predictions = try #require(a.json?["predictions"] as? [[String: Any]])
        #expect(predictions.map { $0["label"] as? Int } == [0, 2])
        #expect((predictions.first?["probabilities"] as? [Double])?.count == 3)
    }

    @Test func statusListsEveryVersionWithItsState() throws {
        let a = try server.client().request("GET", "/v1/models/fraud")
        #expect(a.status == 200)
        #expect(a.json?["ready"] as? Bool == true)
        let versions = try #require(a.json?["model_version_status"] as? [[String: Any]])
        #expect(versions.map { $0["version"] as? String } == ["1", "2"])
        #expect(versions.allSatisfy { $0["state"] as? String == "AVAILABLE" })
        #expect(versions.allSatisfy { ($0["status"] as? [String: Any])?["error_code"] as? String == "OK" })

        let label = try server.client().request("GET", "/v1/models/fraud/labels/canary")
        #expect((label.json?["model_version_status"] as? [[String: Any]])?.map { $0["version"] as? String } == ["2"])
        let list = try server.client().request("GET", "/v1/models")
        #expect(list.json?["models"] as? [String] == ["churn-lgbm", "digits-mlp", "fraud", "iris"])
    }

    @Test(arguments: [
        ("/v1/models/fraud:predict", #"{"signature_name":"x"}"#, 400, "neither"),
        ("/v1/models/fraud:predict", #"{"instances":[[1]],"inputs":[[1]]}"#, 400, "both"),
        ("/v1/models/fraud:predict", #"{"instances":[[1,2],[1]]}"#, 400, "not rectangular"),
        ("/v1/models/fraud:predict", #"{"instances":[[1,2]]}"#, 400, "shape"),
        ("/v1/models/fraud:predict", #"{"instances":[{"other":[1]}]}"#, 400, "'other'"),
        ("/v1/models/fraud:predict", #"{"instances":[[1,"a"]]}"#, 400, "instances"),
        ("/v1/models/fraud:predict", #"{"instances":"#, 400, "invalid JSON"),
        ("/v1/models/fraud:predict", #"{"instances":[[1e999]]}"#, 400, "instances"),
        ("/v1/models/fraud/labels/nope:predict", #"{"instances":[[1]]}"#, 404, "no label 'nope'"),
        ("/v1/models/fraud/versions/9:predict", #"{"instances":[[1]]}"#, 404, "no version 9"),
        ("/v1/models/fraud/versions/x:predict", #"{"instances":[[1]]}"#, 400, "positive integer"),
        ("/v1/models/nope:predict", #"{"instances":[[1]]}"#, 404, "unknown model 'nope'"),
        ("/v1/models/fraud:predict", #"{"instances":"# + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000) + "}", 400, "nest"),
        ("/v1/models/fraud:predict", String(repeating: #"{"a":"#, count: 20_000) + "1" + String(repeating: "}", count: 20_000), 400, "nest"),
    ])
    func badRequestsGetTheirStatusAndAJSONError(path: String, body: String, status: Int, fragment: String) throws {
        let client = try server.client()
        let a = try client.request("POST", path, json: body)
        #expect(a.status == status, "\(a.text)")
        let message = try #require(a.json?["error"] as? String)
        #expect(message.contains(fragment), "\(message)")
        // The connection carries on.
        #expect(try client.request("GET", "/v1/models/fraud").status == 200)
    }

    @Test func v1RequestsAreCountedUnderTheirProtocol() throws {
        _ = try post("/v1/models/fraud:predict", #"{"instances":[\#(json(rowA))]}"#)
        let metrics = try server.client().request("GET", "/metrics").text
        #expect(metrics.contains(#"sluice_requests_total{route="",model="fraud",version="2",protocol="v1",code="200"} 1"#), "\(metrics)")
    }
}
