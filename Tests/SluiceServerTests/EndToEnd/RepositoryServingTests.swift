import Foundation
import Testing
@testable import SluiceServer

/// Serving from repositories built on the spot: a broken version next to good ones, the worker
/// pool path, and `sluice validate`.
@Suite struct RepositoryServingTests {
    private static func fixture(_ name: String) -> String { "\(TestServer.xgboostFixtures)/\(name)/model.json" }
    private let body = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,5],"data":[0.1,0.2,0.3,0.4,0.5]}]}"#

    @Test func aCorruptVersionIsUnavailableWithItsReasonWhileTheRestServe() throws {
        let repo = try TemporaryRepository()
        try repo.add(model: "good", version: 1, file: Self.fixture("binary_logistic"), as: "model.json")
        try repo.add(model: "mixed", version: 1, file: Self.fixture("binary_logistic"), as: "model.json")
        try repo.write("{\"learner\": ", to: "mixed/2/model.json")
        try repo.write("version_policy: {all: true}\n", to: "mixed/model.yaml")
        try repo.write("\u{0}\u{1}garbage", to: "broken/1/model.json")
        let server = try TestServer(models: repo.path)
        let c = try server.client()

        let ready = try c.request("GET", "/v2/health/ready")
        #expect(ready.status == 503)
        #expect(ready.error?.isEmpty == false)
        let brokenMeta = try c.request("POST", "/v2/models/broken/infer", json: body)
        #expect(brokenMeta.status == 503)
        #expect(brokenMeta.error?.contains("no ready version") == true, "\(brokenMeta.text)")
        #expect(try c.request("POST", "/v2/models/good/infer", json: body).status == 200)
        // The model without a version in the path falls to its highest ready version.
        let fallback = try c.request("POST", "/v2/models/mixed/infer", json: body)
        #expect(fallback.status == 200)
        #expect(fallback.headers["x-sluice-model-version"] == "1")
        let broken = try c.request("POST", "/v2/models/mixed/versions/2/infer", json: body)
        #expect(broken.status == 503)
        #expect(broken.headers["retry-after"] != nil)
        #expect(broken.error?.contains("model.json") == true, "\(broken.text)")
        let versionReady = try c.request("GET", "/v2/models/mixed/versions/2/ready")
        #expect(versionReady.status == 503)
        let meta = try c.request("GET", "/v2/models/mixed")
        #expect(meta.json?["versions"] as? [String] == ["1"])
        let unavailable = try #require(meta.json?["unavailable"] as? [[String: Any]])
        #expect(unavailable.first?["version"] as? String == "2")
        #expect((unavailable.first?["reason"] as? String)?.isEmpty == false)
    }

    @Test func costlyRequestsRunOnTheWorkerPoolWithTheSameAnswers() throws {
        let repo = try TemporaryRepository()
        try repo.add(model: "m", version: 1, file: Self.fixture("binary_logistic"), as: "model.json")
        let inline = try TestServer(models: repo.path)
        let pooled = try TestServer(models: repo.path) { $0.scheduling.inlineBudgetMicros = 0 }
        let a = try inline.client().request("POST", "/v2/models/m/infer", json: body)
        // Measured once, every later request of this version exceeds a zero budget.
        let clientB = try pooled.client()
        var last: RawClient.Answer?
        for _ in 0..<5 { last = try clientB.request("POST", "/v2/models/m/infer", json: body) }
        let b = try #require(last)
        #expect(a.status == 200 && b.status == 200)
        #expect(a.body == b.body)
    }

    @Test func validateReportsEveryBrokenVersionAndExitsOne() throws {
        let repo = try TemporaryRepository()
        // An empty routes file, so the project's config/routes.yaml (over the bundled models)
        // is not what this repository is checked against.
        let files = try TemporaryRepository()
        try files.write("routes: []\n", to: "routes.yaml")
        let noRoutes = files.path + "/routes.yaml"
        try repo.add(model: "ok", version: 1, file: Self.fixture("binary_logistic"), as: "model.json")
        #expect(Application.validate(CommandLineOverrides(models: repo.path, routes: noRoutes)) == 0)
        try repo.write("not a model", to: "bad/1/model.json")
        #expect(Application.validate(CommandLineOverrides(models: repo.path, routes: noRoutes)) == 1)
        #expect(Application.validate(CommandLineOverrides(models: TestServer.bundledModels)) == 0)
    }

    /// `scheduling.threads_per_inference` is checked like every key, and under it a model that
    /// cannot be sliced still validates (it will run on one thread), unless its own `model.yaml`
    /// asks for threads.
    @Test func validateChecksTheServerWideThreadsPerInference() throws {
        let files = try TemporaryRepository()
        try files.write("routes: []\n", to: "routes.yaml")
        try files.write("scheduling: {threads_per_inference: 2}\n", to: "two.yaml")
        try files.write("scheduling: {threads_per_inference: 0}\n", to: "zero.yaml")
        let repo = try TemporaryRepository()
        try repo.add(model: "d", version: 1, file: "\(ONNXServingTests.fixtures)/hostile/dynamic_dims.onnx", as: "model.onnx")
        try repo.write("warmup: false\n", to: "d/model.yaml")
        func validate(_ config: String) -> Int32 {
            Application.validate(CommandLineOverrides(config: files.path + "/" + config, models: repo.path, routes: files.path + "/routes.yaml"))
        }
        #expect(validate("two.yaml") == 0)
        #expect(validate("zero.yaml") == 1)
        try repo.write("warmup: false\nthreads_per_inference: 2\n", to: "d/model.yaml")
        #expect(validate("two.yaml") == 1)
    }

    @Test func validateChecksTheRoutesAgainstTheRepository() throws {
        let files = try TemporaryRepository()
        try files.write("routes: [{name: r, model: fraud, split: [{version: 1, weight: 50}, {label: canary, weight: 50}]}]\n", to: "good.yaml")
        try files.write("routes: [{name: r, model: fraud, split: [{version: 1, weight: 50}, {version: 7, weight: 50}]}]\n", to: "missing.yaml")
        try files.write("routes: [{name: r, model: fraud, split: [{version: 1, weight: 50}]}]\n", to: "malformed.yaml")
        for (file, code) in [("good.yaml", 0), ("missing.yaml", 1), ("malformed.yaml", 1)] {
            let flags = CommandLineOverrides(models: TestServer.bundledModels, routes: files.path + "/" + file)
            #expect(Application.validate(flags) == Int32(code), "\(file)")
        }
    }
}
