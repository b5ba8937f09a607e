import Foundation
import Testing
@testable import SluiceServer

/// Single-model mode as KServe runs it (`--model-name NAME --model-dir /mnt/models`): a folder of
/// model files served as version 1 of NAME, a versioned folder as it is, new numeric folders
/// picked up by the poll, and the flags through the real binary and `sluice validate`.
@Suite struct SingleModelTests {
    private static let xgboost = "\(TestServer.xgboostFixtures)/binary_logistic"

    /// A folder laid out as KServe's storage initializer leaves it: the model's files at the top.
    private static func flatFolder() throws -> TemporaryRepository {
        let folder = try TemporaryRepository()
        try FileManager.default.copyItem(atPath: "\(xgboost)/model.json", toPath: "\(folder.path)/model.json")
        return folder
    }

    @Test func aFolderOfModelFilesServesAsVersion1OfTheGivenName() throws {
        let folder = try Self.flatFolder()
        let server = try TestServer { $0.modelName = "churn"; $0.modelDir = folder.path }
        let c = try server.client()
        #expect(try c.request("GET", "/v2/health/ready").status == 200)
        let index = try c.request("GET", "/v2/models/churn")
        #expect(index.json?["versions"] as? [String] == ["1"], "\(index.text)")
        // Only that model: the repository `models` is not read.
        #expect(try c.request("GET", "/v2/models/fraud").status == 404)
        let a = try c.request("POST", "/v2/models/churn/infer", json: try ReferenceOutputTests.body(Self.xgboost))
        #expect(a.status == 200, "\(a.text)")
        #expect(a.headers["x-sluice-model-version"] == "1")
        try ReferenceOutputTests.expectReferenceOutputs(a, Self.xgboost)
    }

    @Test func aVersionedFolderIsServedAsItIs() throws {
        // An ONNX fixture laid out by version, with the model's model.yaml at the top.
        let folder = try TemporaryRepository()
        let fixture = "\(ONNXServingTests.fixtures)/mlp_classifier"
        try folder.add(model: ".", version: 1, file: "\(fixture)/model.onnx", as: "model.onnx")
        try folder.add(model: ".", version: 2, file: "\(fixture)/model.onnx", as: "model.onnx")
        try folder.write("backend: onnx\nversion_policy: {all: true}\nlabels: {stable: 1}\n", to: "model.yaml")
        let server = try TestServer { $0.modelName = "digits"; $0.modelDir = folder.path }
        let c = try server.client()
        #expect(try c.request("GET", "/v2/models/digits").json?["versions"] as? [String] == ["1", "2"])
        let (body, want, rtol) = try ONNXServingTests.request("mlp_classifier")
        for path in ["/v2/models/digits/versions/1/infer", "/v2/models/digits/versions/2/infer"] {
            let a = try c.request("POST", path, json: body)
            #expect(a.status == 200, "\(a.text)")
            try ReferenceOutputTests.expectOutputs(a, equal: want, rtol: rtol, path)
        }
        #expect(try c.request("GET", "/v1/models/digits/labels/stable").status == 200)
    }

    /// The bundled models' own folders (models/digits-mlp: ONNX, models/fraud: XGBoost with two
    /// versions, labels and a policy) served as they are answer what the repository answers.
    @Test(arguments: [
        ("digits-mlp", #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,64],"data":[\#((0..<64).map { String($0 % 17) }.joined(separator: ","))]}]}"#),
        ("fraud", #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#((0..<20).map { _ in "0.25" }.joined(separator: ","))]}]}"#),
    ])
    func aBundledModelFolderServesAsItDoesInTheRepository(_ model: String, _ body: String) throws {
        let repository = try TestServer()
        let single = try TestServer { $0.modelName = "m"; $0.modelDir = "\(TestServer.bundledModels)/\(model)" }
        let want = try repository.client().request("POST", "/v2/models/\(model)/infer", json: body)
        let got = try single.client().request("POST", "/v2/models/m/infer", json: body)
        #expect(got.status == 200, "\(got.text)")
        #expect(got.headers["x-sluice-model-version"] == want.headers["x-sluice-model-version"])
        #expect(want.status == 200)
        let outputs = try #require(want.json?["outputs"] as? NSArray)
        #expect(got.json?["outputs"] as? NSArray == outputs)
        let versions = try repository.client().request("GET", "/v2/models/\(model)").json?["versions"] as? [String]
        #expect(try single.client().request("GET", "/v2/models/m").json?["versions"] as? [String] == versions)
    }

    @Test func aNewNumericFolderIsANewVersionWithoutARestart() throws {
        let folder = try Self.flatFolder()
        let server = try TestServer {
            $0.modelName = "churn"
            $0.modelDir = folder.path
            $0.pollInterval = 0.05
        }
        let c = try server.client()
        let body = try ReferenceOutputTests.body(Self.xgboost)
        #expect(try c.request("POST", "/v2/models/churn/infer", json: body).headers["x-sluice-model-version"] == "1")
        try folder.add(model: ".", version: 2, file: "\(Self.xgboost)/model.json", as: "model.json")
        #expect(eventually(within: 20) { (try? c.request("GET", "/v2/models/churn/versions/2/ready").status) == 200 })
        let a = try c.request("POST", "/v2/models/churn/infer", json: body)
        #expect(a.headers["x-sluice-model-version"] == "2")
        try ReferenceOutputTests.expectReferenceOutputs(a, Self.xgboost)
    }

    @Test func theFlagsServeTheFolderFromTheCommandLine() throws {
        let folder = try Self.flatFolder()
        let (process, port, _, log) = try ShutdownTests.launchWithLog(
            ["--model-name", "churn", "--model-dir", folder.path], models: nil)
        defer { if process.isRunning { process.terminate() } }
        #expect(log.contains("with 1 models (churn 1)"), "\(log)")
        let c = try RawClient(port: port)
        #expect(try c.request("GET", "/v2/health/ready").status == 200)
        #expect(try c.request("POST", "/v2/models/churn/infer", json: try ReferenceOutputTests.body(Self.xgboost)).status == 200)
    }

    @Test func validateChecksTheFolderAndRefusesHalfTheSettings() throws {
        let folder = try Self.flatFolder()
        let scratch = try TemporaryRepository()  // no config/ here: nothing else is read
        let ok = try Tool.run(ShutdownTests.binary, ["validate", "--model-name", "churn", "--model-dir", folder.path], directory: scratch.path)
        #expect(ok.status == 0, "\(ok.all)")
        #expect(ok.text.contains("ok: churn version 1 (xgboost"), "\(ok.text)")
        let half = try Tool.run(ShutdownTests.binary, ["validate", "--model-dir", folder.path], directory: scratch.path)
        #expect(half.status == 1)
        #expect(half.text.contains("error: configuration: model_name: required with model_dir"), "\(half.all)")
        let variables = try Tool.run(
            ShutdownTests.binary, ["validate"], directory: scratch.path,
            environment: ["SLUICE_MODEL_NAME": "churn", "SLUICE_MODEL_DIR": folder.path])
        #expect(variables.status == 0 && variables.text.contains("ok: churn version 1"), "\(variables.all)")
    }
}
