import Foundation
import Testing
@testable import SluiceServer

/// The answer over HTTP equals xgboost's own `predict` (reference outputs made by
/// scripts/make_xgboost_fixtures.py), for a model served from a repository with no model.yaml.
@Suite struct ReferenceOutputTests {
    @Test(arguments: ["binary_logistic", "multi_softprob", "missing_values", "reg_squarederror"])
    func servedOutputsMatchTheLibrary(_ fixture: String) throws {
        let dir = "\(TestServer.xgboostFixtures)/\(fixture)"
        let repo = try TemporaryRepository()
        let file = FileManager.default.fileExists(atPath: "\(dir)/model.json") ? "model.json" : "model.ubj"
        try repo.add(model: "m", version: 3, file: "\(dir)/\(file)", as: file)
        let server = try TestServer(models: repo.path)

        let a = try server.client().request("POST", "/v2/models/m/infer", json: try Self.body(dir))
        #expect(a.status == 200, "\(a.text)")
        #expect(a.headers["x-sluice-model-version"] == "3")
        try Self.expectReferenceOutputs(a, dir)
    }

    /// The V2 request of a fixture's `input.json`.
    static func body(_ dir: String) throws -> String {
        let input = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/input.json"))) as? [String: Any])
        let rows = try #require(input["rows"] as? Int), cols = try #require(input["cols"] as? Int)
        let data = try #require(input["data"] as? [Any]).map { ($0 as? Double).map { String($0) } ?? "NaN" }
        return #"{"inputs":[{"name":"input","datatype":"FP32","shape":[\#(rows),\#(cols)],"data":[\#(data.joined(separator: ","))]}]}"#
    }

    /// Expects `answer` to hold the fixture's `expected.json` outputs, within 1e-6 relative.
    static func expectReferenceOutputs(_ answer: RawClient.Answer, _ dir: String) throws {
        let expected = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/expected.json"))) as? [String: Any])
        try expectOutputs(answer, equal: try #require(expected["outputs"] as? [String: [String: Any]]), rtol: 1e-6, dir)
    }

    /// Expects `answer`'s outputs to be `want`'s (name → shape, datatype if given, data) within `rtol`.
    static func expectOutputs(_ answer: RawClient.Answer, equal want: [String: [String: Any]], rtol: Double, _ label: String) throws {
        let got = try #require(answer.json?["outputs"] as? [[String: Any]])
        #expect(Set(got.compactMap { $0["name"] as? String }) == Set(want.keys))
        for output in got {
            let name = try #require(output["name"] as? String)
            let reference = try #require(want[name])
            #expect(output["shape"] as? [Int] == reference["shape"] as? [Int], "\(name)")
            if let datatype = reference["datatype"] as? String { #expect(output["datatype"] as? String == datatype, "\(name)") }
            let values = try #require(output["data"] as? [Double]), refs = try #require(reference["data"] as? [Double])
            #expect(values.count == refs.count)
            for (v, r) in zip(values, refs) {
                #expect(abs(v - r) <= rtol * max(1, abs(r)), "\(label) \(name): \(v) vs \(r)")
            }
        }
    }
}
