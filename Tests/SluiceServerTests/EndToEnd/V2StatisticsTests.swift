import Foundation
import Testing
@testable import SluiceServer

/// The statistics extension counts exactly what was sent, per version, in Triton's shape.
@Suite struct V2StatisticsTests {
    let server: TestServer
    init() throws { server = try TestServer() }

    private static let row = (0..<20).map { _ in "0.5" }.joined(separator: ",")

    @Test func countsSuccessesFailuresAndRowsPerVersion() throws {
        let c = try server.client()
        for rows in [1, 3, 2] {
            let data = Array(repeating: Self.row, count: rows).joined(separator: ",")
            let a = try c.request("POST", "/v2/models/fraud/versions/1/infer",
                                  json: #"{"inputs":[{"name":"input","datatype":"FP32","shape":[\#(rows),20],"data":[\#(data)]}]}"#)
            #expect(a.status == 200)
        }
        #expect(try c.request("POST", "/v2/models/fraud/versions/1/infer", json: #"{"inputs":[]}"#).status == 400)

        let a = try c.request("GET", "/v2/models/fraud/versions/1/stats")
        #expect(a.status == 200)
        let stats = try #require((a.json?["model_stats"] as? [[String: Any]])?.first)
        #expect(stats["name"] as? String == "fraud")
        #expect(stats["version"] as? String == "1")
        #expect(stats["inference_count"] as? Int == 6)
        #expect(stats["execution_count"] as? Int == 3)
        #expect((stats["last_inference"] as? Int ?? 0) > 1_700_000_000_000)
        let inference = try #require(stats["inference_stats"] as? [String: [String: Int]])
        #expect(inference["success"]?["count"] == 3)
        #expect(inference["fail"]?["count"] == 1)
        #expect(inference["compute_infer"]?["count"] == 3)
        #expect((inference["compute_infer"]?["ns"] ?? 0) > 0)
        #expect((inference["success"]?["ns"] ?? 0) >= inference["compute_infer"]?["ns"] ?? 0)
        // One execution each of 1, 3 and 2 rows, ascending; the refused request ran nothing.
        let batches = try #require(stats["batch_stats"] as? [[String: Any]])
        #expect(batches.map { $0["batch_size"] as? Int } == [1, 2, 3])
        for batch in batches {
            let infer = batch["compute_infer"] as? [String: Int]
            #expect(infer?["count"] == 1 && (infer?["ns"] ?? 0) > 0)
            #expect(batch["compute_input"] as? [String: Int] == ["count": 1, "ns": 0])
            #expect(batch["compute_output"] as? [String: Int] == ["count": 1, "ns": 0])
        }
        let inferNanos = batches.compactMap { ($0["compute_infer"] as? [String: Int])?["ns"] }.reduce(0, +)
        #expect(inferNanos == inference["compute_infer"]?["ns"])

        let all = try c.request("GET", "/v2/models/stats")
        let entries = try #require(all.json?["model_stats"] as? [[String: Any]])
        #expect(entries.map { "\($0["name"] ?? "")/\($0["version"] ?? "")" } == ["churn-lgbm/1", "digits-mlp/1", "fraud/1", "fraud/2", "iris/1"])
        let v2 = try #require(entries.first { $0["version"] as? String == "2" && $0["name"] as? String == "fraud" })
        #expect(v2["execution_count"] as? Int == 0)
        #expect(try c.request("GET", "/v2/models/fraud/stats").json?["model_stats"] as? [Any] != nil)
        #expect(try c.request("GET", "/v2/models/nope/stats").status == 404)
        #expect(try c.request("GET", "/v2/models/fraud/versions/9/stats").status == 404)
    }

    /// `parameters.timeout` (microseconds) is the request's deadline: 0 has passed before the
    /// run, so the answer is 504 and nothing is computed; a generous one answers 200.
    @Test func theTimeoutParameterIsTheDeadline() throws {
        let c = try server.client()
        func infer(_ parameters: String) throws -> RawClient.Answer {
            try c.request("POST", "/v2/models/fraud/versions/2/infer",
                          json: #"{"parameters":\#(parameters),"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#(Self.row)]}]}"#)
        }
        let late = try infer(#"{"timeout":0}"#)
        #expect(late.status == 504, "\(late.text)")
        #expect(late.error == "the deadline passed before the request ran")
        #expect(try infer(#"{"timeout":60000000,"binary_data_output":false}"#).status == 200)
        #expect(try infer(#"{"timeout":18446744073709551615}"#).status == 200)
        for bad in [#"{"timeout":-1}"#, #"{"timeout":"100"}"#, #"{"timeout":1.5}"#, #"{"timeout":true}"#, #"{"timeout":1,"timeout":2}"#] {
            let refused = try infer(bad)
            #expect(refused.status == 400, "\(bad): \(refused.text)")
            #expect(refused.error?.contains("timeout") == true, "\(bad): \(refused.text)")
        }
        let stats = try #require((try c.request("GET", "/v2/models/fraud/versions/2/stats").json?["model_stats"] as? [[String: Any]])?.first)
        #expect(stats["execution_count"] as? Int == 2)
        let inference = try #require(stats["inference_stats"] as? [String: [String: Int]])
        #expect(inference["fail"]?["count"] == 6)
    }
}
