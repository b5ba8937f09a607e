import Foundation
import SluiceCore
import Testing
@testable import SluiceServer

/// Hot reload under load: versions added (half-written first), replaced and broken while clients
/// keep sending, with not one failed request; and the model repository extension's API.
@Suite struct ReloadTests {
    private static func fixture(_ name: String) -> String { "\(TestServer.xgboostFixtures)/\(name)/model.json" }
    private static let body = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,5],"data":[0.1,0.2,0.3,0.4,0.5]}]}"#

    @Test func versionsComeAndGoWithoutAFailedRequest() throws {
        let repo = try TemporaryRepository()
        try repo.write("version_policy: {latest: 1}\n", to: "m/model.yaml")
        try repo.add(model: "m", version: 1, file: Self.fixture("binary_logistic"), as: "model.json")
        let server = try TestServer(models: repo.path) { $0.pollInterval = 0.2 }

        // Three clients send without pause until told to stop (bounded: 60 s at most).
        let clients = ClientLoops(port: server.port) { try $0.request("POST", "/v2/models/m/infer", json: Self.body) }

        // The clients are under way on version 1 before anything changes (on a loaded machine
        // their threads may start late, and version 2 would take over before they saw 1).
        #expect(eventually(within: 15) { clients.versions.contains("1") }, "no client reached version 1")

        // Version 2 arrives with a SHA256SUMS, its model file written in two halves with a poll
        // in between (driven here rather than waited for: the server's own polls may come too).
        let model = try Data(contentsOf: URL(fileURLWithPath: Self.fixture("binary_logistic")))
        let digest = SHA256.hex(SHA256.digest(Array(model)))
        try repo.write("\(digest)  model.json\n", to: "m/2/SHA256SUMS")
        try repo.write(String(decoding: model.prefix(model.count / 2), as: UTF8.self), to: "m/2/model.json")
        server.server.manager.poll()
        #expect(server.server.manager.snapshot.model(named: "m")?.readyVersions == [1], "a half-written version must not load")
        try repo.write(String(decoding: model, as: UTF8.self), to: "m/2/model.json")
        let c = try server.client()
        #expect(try eventually(within: 15) {
            try c.request("POST", "/v2/models/m/infer", json: Self.body).headers["x-sluice-model-version"] == "2"
        }, "version 2 did not take over")
        // Version 1 left the aspired set: it drains and goes.
        #expect(eventually(within: 15) { server.server.manager.snapshot.model(named: "m")?.version(1) == nil })

        // A corrupt version 3: reported with its reason, version 2 keeps serving.
        try repo.write("{\"learner\": {\"truncated", to: "m/3/model.json")
        var meta = try c.request("GET", "/v2/models/m")
        #expect(try eventually(within: 15) {
            meta = try c.request("GET", "/v2/models/m")
            return meta.json?["unavailable"] != nil
        })
        #expect(try c.request("GET", "/v2/models/m/versions/3/ready").status == 503)
        let unavailable = meta.json?["unavailable"] as? [[String: Any]]
        #expect(unavailable?.first?["version"] as? String == "3")
        #expect((unavailable?.first?["reason"] as? String)?.contains("model.json") == true, "\(meta.text)")
        #expect(try c.request("POST", "/v2/models/m/infer", json: Self.body).headers["x-sluice-model-version"] == "2")

        clients.stop()
        #expect(clients.sent > 50)
        #expect(clients.failed == 0)
        #expect(clients.versions == ["1", "2"])
    }

    @Test func theRepositoryAPINeedsTheAdminToken() throws {
        let repo = try TemporaryRepository()
        try repo.add(model: "m", version: 1, file: Self.fixture("binary_logistic"), as: "model.json")
        let closed = try TestServer(models: repo.path) { $0.pollInterval = 0 }
        #expect(try closed.client().request("POST", "/v2/repository/index").status == 403)

        let tokenFile = repo.path + "-token"
        try Data("s3cret\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        let server = try TestServer(models: repo.path) { $0.pollInterval = 0; $0.adminTokenFile = tokenFile }
        let c = try server.client()
        #expect(try c.request("POST", "/v2/repository/index").status == 401)
        let wrong = try c.request("POST", "/v2/repository/index", headers: ["Authorization": "Bearer nope"])
        #expect(wrong.status == 401)
        #expect(wrong.headers["www-authenticate"] == "Bearer")
        let auth = ["Authorization": "Bearer s3cret"]

        let index = try c.request("POST", "/v2/repository/index", body: [], headers: auth)
        #expect(index.status == 200)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(index.body)) as? [[String: Any]])
        #expect(rows.first?["name"] as? String == "m")
        #expect(rows.first?["state"] as? String == "READY")

        #expect(try c.request("POST", "/v2/repository/models/m/unload", body: [], headers: auth).status == 200)
        #expect(try c.request("POST", "/v2/models/m/infer", json: Self.body).status == 503)
        #expect(try c.request("POST", "/v2/repository/models/m/load", body: [], headers: auth).status == 200)
        #expect(try c.request("POST", "/v2/models/m/infer", json: Self.body).status == 200)
        #expect(try c.request("POST", "/v2/repository/models/nope/load", body: [], headers: auth).status == 404)
    }

    @Test func aHiddenFolderCannotBeLoadedThroughTheRepositoryAPI() throws {
        // Scans skip hidden folders (`.git`, Kubernetes' `..data`); a load naming one must not
        // bring it in by the side door: it is refused exactly as a name with no folder is.
        let repo = try TemporaryRepository()
        try repo.add(model: "m", version: 1, file: Self.fixture("binary_logistic"), as: "model.json")
        try repo.add(model: ".x", version: 1, file: Self.fixture("binary_logistic"), as: "model.json")
        try repo.add(model: "..data", version: 1, file: Self.fixture("binary_logistic"), as: "model.json")
        let tokenFile = repo.path + "-token"
        try Data("s3cret\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        let server = try TestServer(models: repo.path) { $0.pollInterval = 0; $0.adminTokenFile = tokenFile }
        let c = try server.client()
        let auth = ["Authorization": "Bearer s3cret"]

        let unknown = try c.request("POST", "/v2/repository/models/nope/load", body: [], headers: auth)
        for name in [".x", "..data"] {
            let hidden = try c.request("POST", "/v2/repository/models/\(name)/load", body: [], headers: auth)
            #expect(hidden.status == unknown.status, "\(name): \(hidden.text)")
            #expect(hidden.text == unknown.text.replacingOccurrences(of: "'nope'", with: "'\(name)'"))
            #expect(try c.request("POST", "/v2/models/\(name)/infer", json: Self.body).status == 404)
        }
        #expect(server.server.manager.snapshot.models.map(\.name) == ["m"])
    }
}
