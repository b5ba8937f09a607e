import Foundation
import Testing
@testable import SluiceServer

/// ONNX models served over HTTP from a repository with no model.yaml: metadata comes from the
/// graph, answers equal onnxruntime's (scripts/make_onnx_fixtures.py), and a model the backend
/// refuses is UNAVAILABLE with the reason while the rest serve.
@Suite struct ONNXServingTests {
    static let fixtures = URL(fileURLWithPath: TestServer.xgboostFixtures)
        .deletingLastPathComponent().appendingPathComponent("onnx").path

    static func request(_ fixture: String) throws -> (body: String, expected: [String: [String: Any]], rtol: Double) {
        let dir = "\(fixtures)/\(fixture)"
        let input = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/input.json"))) as? [String: Any])
        let name = try #require(input["name"] as? String), shape = try #require(input["shape"] as? [Int])
        let data = try #require(input["data"] as? [Any]).map { ($0 as? Double).map { String($0) } ?? "NaN" }
        let body = #"{"inputs":[{"name":"\#(name)","datatype":"FP32","shape":\#(shape),"data":[\#(data.joined(separator: ","))]}]}"#
        let expected = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/expected.json"))) as? [String: Any])
        return (body, try #require(expected["outputs"] as? [String: [String: Any]]), try #require(expected["rtol"] as? Double))
    }

    @Test(arguments: ["mlp_classifier", "cnn", "random_forest_classifier", "mlp"])
    func servedOutputsMatchOnnxruntime(_ fixture: String) throws {
        let repo = try TemporaryRepository()
        try repo.add(model: "m", version: 1, file: "\(Self.fixtures)/\(fixture)/model.onnx", as: "model.onnx")
        let server = try TestServer(models: repo.path)
        let (body, want, rtol) = try Self.request(fixture)
        let a = try server.client().request("POST", "/v2/models/m/infer", json: body)
        #expect(a.status == 200, "\(a.text)")
        try ReferenceOutputTests.expectOutputs(a, equal: want, rtol: rtol, fixture)
    }

    @Test func metadataComesFromTheGraphWithADynamicBatch() throws {
        let repo = try TemporaryRepository()
        try repo.add(model: "cnn", version: 1, file: "\(Self.fixtures)/cnn/model.onnx", as: "model.onnx")
        let server = try TestServer(models: repo.path)
        let a = try server.client().request("GET", "/v2/models/cnn")
        #expect(a.status == 200)
        let json = try #require(a.json)
        #expect(json["platform"] as? String == "onnx")
        let inputs = try #require(json["inputs"] as? [[String: Any]])
        #expect(inputs.first?["name"] as? String == "input")
        #expect(inputs.first?["datatype"] as? String == "FP32")
        #expect(inputs.first?["shape"] as? [Int] == [-1, 1, 8, 8])
        let outputs = try #require(json["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["name"] as? String } == ["probabilities"])
    }

    @Test func aRequestThatDoesNotFitTheGraphAnswers400() throws {
        let repo = try TemporaryRepository()
        try repo.add(model: "cnn", version: 1, file: "\(Self.fixtures)/cnn/model.onnx", as: "model.onnx")
        let server = try TestServer(models: repo.path)
        let data = Array(repeating: "0.5", count: 2 * 49).joined(separator: ",")
        let body = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[2,1,7,7],"data":[\#(data)]}]}"#
        let a = try server.client().request("POST", "/v2/models/cnn/infer", json: body)
        #expect(a.status == 400)
        #expect(a.error?.isEmpty == false)
    }

    /// skl2onnx's default export ends in ZipMap: the probabilities that feed it are served
    /// under its output name, equal to onnxruntime's dicts, and the metadata says so.
    @Test func aModelWithZipMapServesItsProbabilitiesAndSaysSoInTheMetadata() throws {
        let repo = try TemporaryRepository()
        try repo.add(model: "zip", version: 1, file: "\(Self.fixtures)/zipmap_logreg/model.onnx", as: "model.onnx")
        let server = try TestServer(models: repo.path)
        let c = try server.client()
        let (body, want, rtol) = try Self.request("zipmap_logreg")
        let a = try c.request("POST", "/v2/models/zip/infer", json: body)
        #expect(a.status == 200, "\(a.text)")
        try ReferenceOutputTests.expectOutputs(a, equal: want, rtol: rtol, "zipmap_logreg")
        let metadata = try #require(try c.request("GET", "/v2/models/zip").json)
        let outputs = try #require(metadata["outputs"] as? [[String: Any]])
        #expect(outputs.last?["name"] as? String == "output_probability")
        #expect(outputs.last?["datatype"] as? String == "FP32")
        #expect(outputs.last?["shape"] as? [Int] == [-1, 3])
        let parameters = try #require(metadata["parameters"] as? [String: Any])
        let notes = try #require(parameters["notes"] as? String)
        #expect(notes.contains("ZipMap"), "\(notes)")
    }

    @Test func aModelWithUnsupportedOperatorsIsUnavailableListingThemAll() throws {
        let repo = try TemporaryRepository()
        try repo.add(model: "bad", version: 1, file: "\(Self.fixtures)/bad/three_unsupported_ops.onnx", as: "model.onnx")
        try repo.add(model: "ok", version: 1, file: "\(Self.fixtures)/logreg_binary/model.onnx", as: "model.onnx")
        let server = try TestServer(models: repo.path)
        let c = try server.client()
        let ready = try c.request("GET", "/v2/models/bad/versions/1/ready")
        #expect(ready.status == 503)
        for op in ["com.microsoft.FusedMatMul", "ai.onnx.ml.FeatureVectorizer", "Unique"] {
            #expect(ready.text.contains(op), "\(ready.text)")
        }
        #expect(try c.request("GET", "/v2/models/ok/ready").status == 200)
    }
}
