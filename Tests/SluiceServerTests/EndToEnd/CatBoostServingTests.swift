import Foundation
import Testing
@testable import SluiceServer

/// A CatBoost JSON model served over HTTP from a repository with no model.yaml answers what
/// catboost's own predict / predict_proba did (scripts/make_catboost_fixtures.py).
@Suite struct CatBoostServingTests {
    static let fixtures = URL(fileURLWithPath: TestServer.xgboostFixtures)
        .deletingLastPathComponent().appendingPathComponent("catboost").path

    @Test(arguments: ["logloss", "multiclass", "nan_max", "multi_rmse", "depthwise"])
    func servedOutputsMatchCatBoost(_ fixture: String) throws {
        let dir = "\(Self.fixtures)/\(fixture)"
        let repo = try TemporaryRepository()
        try repo.add(model: "cb", version: 2, file: "\(dir)/catboost.json", as: "catboost.json")
        let server = try TestServer(models: repo.path)

        let a = try server.client().request("POST", "/v2/models/cb/infer", json: try ReferenceOutputTests.body(dir))
        #expect(a.status == 200, "\(a.text)")
        #expect(a.headers["x-sluice-model-version"] == "2")
        try ReferenceOutputTests.expectReferenceOutputs(a, dir)
    }

    @Test func metadataNamesThePlatformAndTheSignature() throws {
        let repo = try TemporaryRepository()
        try repo.add(model: "cb", version: 1, file: "\(Self.fixtures)/multiclass/catboost.json", as: "catboost.json")
        let server = try TestServer(models: repo.path)
        let a = try server.client().request("GET", "/v2/models/cb")
        #expect(a.status == 200, "\(a.text)")
        let json = try #require(a.json)
        #expect(json["platform"] as? String == "catboost")
        let inputs = try #require(json["inputs"] as? [[String: Any]])
        #expect(inputs.first?["shape"] as? [Int] == [-1, 5])
        let outputs = try #require(json["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["name"] as? String } == ["probabilities", "label"])
        #expect(outputs.first?["shape"] as? [Int] == [-1, 3])
    }

    /// Categories travel as a BYTES input beside the FP32 one, as V2 JSON strings.
    @Test func categoricalModelAnswersWithCategoriesAsStrings() throws {
        let dir = "\(Self.fixtures)/categorical"
        let repo = try TemporaryRepository()
        try repo.add(model: "cb", version: 1, file: "\(dir)/catboost.json", as: "catboost.json")
        let server = try TestServer(models: repo.path)

        let numeric = try ReferenceOutputTests.body(dir)
        let input = String(numeric.dropFirst(#"{"inputs":["#.count).dropLast(2))
        let categories = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/categorical.json"))) as? [String: Any])
        let rows = try #require(categories["rows"] as? Int), cols = try #require(categories["cols"] as? Int)
        let texts = try JSONSerialization.data(withJSONObject: try #require(categories["data"] as? [Any]))
        let body = #"{"inputs":[\#(input),{"name":"categorical","datatype":"BYTES","shape":[\#(rows),\#(cols)],"data":\#(String(decoding: texts, as: UTF8.self))}]}"#
        let a = try server.client().request("POST", "/v2/models/cb/infer", json: body)
        #expect(a.status == 200, "\(a.text)")
        try ReferenceOutputTests.expectReferenceOutputs(a, dir)
    }
}
