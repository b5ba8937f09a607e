import Foundation
import SluiceHTTP
import Testing
@testable import SluiceServer

private let row = (0..<20).map { _ in "0.5" }.joined(separator: ",")
private let v2Body = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#(row)]}]}"#

/// Every endpoint family answered through the recording writer: status, body, the fields the
/// data plane adds, and what the request context learned on the way.
@Suite struct EndpointTests {
    let harness: Harness
    init() throws { harness = try Harness() }

    @Test func healthAndServerMetadata() throws {
        let live = try harness.call("GET", "/v2/health/live")
        #expect(live.response.status == 200)
        #expect(live.json?["live"] as? Bool == true)
        #expect(live.context.endpoint == "/v2/health/live")
        #expect(try harness.call("GET", "/v2/health/ready").response.status == 200)
        let metadata = try harness.call("GET", "/v2")
        #expect(metadata.json?["name"] as? String == "sluice")
        #expect((metadata.json?["extensions"] as? [String])?.contains("model_repository") == true)
    }

    @Test func modelMetadataReadinessAndStatistics() throws {
        let model = try harness.call("GET", "/v2/models/fraud")
        #expect(model.response.status == 200)
        #expect(model.json?["platform"] as? String == "xgboost")
        #expect(model.context.endpoint == "/v2/models/{model}")
        #expect(try harness.call("GET", "/v2/models/fraud/versions/1/ready").response.status == 200)
        #expect(try harness.call("GET", "/v2/models/fraud-ab/ready").json?["name"] as? String == "fraud-ab")
        let stats = try harness.call("GET", "/v2/models/fraud/stats")
        #expect((stats.json?["model_stats"] as? [[String: Any]])?.count == 2)
    }

    @Test func aV2InferenceFillsTheContextAndTheAnswer() throws {
        let a = try harness.call("POST", "/v2/models/fraud/versions/1/infer", json: v2Body)
        #expect(a.response.status == 200, "\(a.response.text)")
        #expect(a.response.headers["x-sluice-model-version"] == "1")
        #expect(a.json?["model_version"] as? String == "1")
        #expect(a.context.endpoint == "/v2/models/{model}/versions/{version}/infer")
        #expect(a.context.protocolName == "v2")
        #expect(a.context.model == "fraud")
        #expect(a.context.version == 1)
        #expect(a.context.route.isEmpty && a.context.arm.isEmpty)
        #expect(a.context.computeNanos > 0)
    }

    @Test func aRoutedInferenceNamesItsRouteAndArm() throws {
        let a = try harness.call("POST", "/v2/models/fraud-ab/infer", json: v2Body, headers: [("x-canary", "always")])
        #expect(a.response.status == 200, "\(a.response.text)")
        #expect(a.context.route == "fraud-ab")
        #expect(a.context.arm == "rule:0")  // the first rule matched
        #expect(a.context.version == 2)
        #expect(a.response.headers["x-sluice-route"] == "fraud-ab")
        #expect(a.response.headers["x-sluice-arm"] == a.context.arm)
    }

    @Test func aV1PredictionAndItsStatus() throws {
        let a = try harness.call("POST", "/v1/models/fraud:predict", json: #"{"instances":[[\#(row)]]}"#)
        #expect(a.response.status == 200, "\(a.response.text)")
        #expect(a.context.protocolName == "v1")
        #expect(a.context.endpoint == "/v1/models/{model}:predict")
        #expect((a.json?["predictions"] as? [Any])?.count == 1)
        #expect(try harness.call("GET", "/v1/models/fraud/labels/stable").json?["ready"] as? Bool == true)
        #expect(try harness.call("GET", "/v1/models").response.status == 200)
    }

    @Test func metricsAreServedInTheFormatAskedFor() throws {
        let a = try harness.call("GET", "/metrics", headers: [("accept", "application/openmetrics-text; version=1.0.0")])
        #expect(a.response.status == 200)
        #expect(a.response.headers["content-type"]?.hasPrefix("application/openmetrics-text") == true)
        #expect(a.response.text.hasSuffix("# EOF\n"))
    }

    // MARK: the error boundary

    @Test(arguments: [
        ("POST", "/v2/models/nope/infer", v2Body, 404, "unknown model 'nope'"),
        ("POST", "/v2/models/fraud/versions/9/infer", v2Body, 404, "model 'fraud' has no version 9"),
        ("POST", "/v2/models/fraud/versions/x/infer", v2Body, 400, "version 'x' is not a positive integer"),
        ("POST", "/v2/models/fraud/infer", "{", 400, nil),
        ("GET", "/v2/models/fraud/infer", nil, 405, "GET is not allowed on /v2/models/fraud/infer"),
        ("GET", "/v3", nil, 404, "no endpoint /v3"),
        ("GET", "/v1/models/fraud/labels/none", nil, 404, "model 'fraud' has no label 'none'"),
    ] as [(String, String, String?, Int, String?)])
    func errorsAreAnsweredWithTheirStatusAndOneBodyShape(
        _ method: String, _ target: String, _ body: String?, _ status: Int, _ message: String?
    ) throws {
        let a = try harness.call(method, target, json: body)
        #expect(a.response.status == status, "\(a.response.text)")
        #expect(a.json?.keys.sorted() == ["error"])
        if let message { #expect(a.json?["error"] as? String == message) }
        #expect(a.response.headers["content-type"] == "application/json")
    }

    @Test func theAdminAPIsAreClosedWithoutAToken() throws {
        for (method, target) in [("GET", "/v2/routes"), ("POST", "/v2/repository/index"), ("POST", "/v2/repository/models/fraud/unload")] {
            let a = try harness.call(method, target)
            #expect(a.response.status == 403)
            #expect(a.json?["error"] as? String == "the admin API is disabled: set admin.token_file in the server config")
        }
    }
}

/// The README's metric tables are the user's reference: every family a live scrape exposes
/// must be in them, so adding a metric fails here until it is documented.
@Test func theREADMEDocumentsEveryMetricFamilyTheServerExposes() throws {
    let harness = try Harness()
    _ = try harness.call("POST", "/v2/models/fraud-ab/infer", json: v2Body)
    let scrape = try harness.call("GET", "/metrics").response.text
    let families = scrape.split(separator: "\n").compactMap { line -> String? in
        guard line.hasPrefix("# TYPE ") else { return nil }
        return line.split(separator: " ").dropFirst(2).first.map(String.init)
    }
    #expect(families.count > 15)
    let readme = try String(contentsOf: Harness.project.appendingPathComponent("README.md"), encoding: .utf8)
    for family in families {
        #expect(readme.contains("`\(family)`"), "README.md does not document the metric \(family)")
    }
}
