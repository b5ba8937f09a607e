import Foundation
import Testing
@testable import SluiceServer

/// The image's `/srv` as the Dockerfile lays it out: the demo's routes inside the bundled
/// repository (`models/demo-routes.yaml`) and `config/routes.yaml` a link to them. The real binary
/// started there serves the demo route; with the user's repository in place of `models/` the link
/// points nowhere, and it starts without routes and without a word about the demo's `fraud`.
@Suite struct ImageLayoutTests {
    private static let project = URL(fileURLWithPath: TestServer.bundledModels).deletingLastPathComponent().path
    private static let body = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#((0..<20).map { _ in "0.25" }.joined(separator: ","))]}]}"#

    /// `/srv` with `models` as its repository, as the Dockerfile's `mv` and `ln -s` leave it.
    private static func srv(models: String) throws -> TemporaryRepository {
        let srv = try TemporaryRepository()
        let files = FileManager.default
        try files.copyItem(atPath: models, toPath: "\(srv.path)/models")
        try files.createDirectory(atPath: "\(srv.path)/config", withIntermediateDirectories: true)
        try files.copyItem(atPath: "\(project)/config/sluice.yaml", toPath: "\(srv.path)/config/sluice.yaml")
        if models == TestServer.bundledModels {
            try files.copyItem(atPath: "\(project)/config/routes.yaml", toPath: "\(srv.path)/models/demo-routes.yaml")
        }
        try files.createSymbolicLink(atPath: "\(srv.path)/config/routes.yaml", withDestinationPath: "../models/demo-routes.yaml")
        return srv
    }

    @Test func theDemoRouteServesOverTheBundledModels() throws {
        let srv = try Self.srv(models: TestServer.bundledModels)
        let (process, port, _, _) = try ShutdownTests.launchWithLog([], models: nil, directory: srv.path)
        defer { if process.isRunning { process.terminate() } }
        let a = try RawClient(port: port).request("POST", "/v2/models/fraud-ab/infer", json: Self.body)
        #expect(a.status == 200, "\(a.text)")
        #expect(a.headers["x-sluice-route"] == "fraud-ab")
    }

    @Test func aMountedRepositoryBringsNoDemoRouteAndNoWarning() throws {
        let user = try TemporaryRepository()
        try user.add(model: "churn", version: 1, file: "\(TestServer.xgboostFixtures)/binary_logistic/model.json", as: "model.json")
        let srv = try Self.srv(models: user.path)
        let (process, port, _, log) = try ShutdownTests.launchWithLog([], models: nil, directory: srv.path)
        defer { if process.isRunning { process.terminate() } }
        #expect(!log.contains("warning") && !log.contains("fraud"), "\(log)")
        let c = try RawClient(port: port)
        #expect(try c.request("GET", "/v2/health/ready").status == 200)
        #expect(try c.request("POST", "/v2/models/fraud-ab/infer", json: Self.body).status == 404)
    }
}
