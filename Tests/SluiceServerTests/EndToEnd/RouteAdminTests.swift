import Foundation
import Testing
import SluiceCore
@testable import SluiceServer

/// The routes admin API: its token, a PUT's validation (400 for a malformed route, 409 for one
/// the repository cannot serve), the file it writes, and a restart that keeps the change.
@Suite struct RouteAdminTests {
    static let routes = """
        routes:
          - name: scoring
            model: m
            split: [{version: 1, weight: 100}]
        """

    @Test func withoutATokenFileTheAPIAnswers403AndAWrongTokenAnswers401() throws {
        let fixture = try RoutingFixture(routes: Self.routes)
        let closed = try TestServer(models: fixture.repository.path) { $0.routes = fixture.routesFile }
        #expect(try closed.client().request("GET", "/v2/routes").status == 403)
        let server = try fixture.server()
        let c = try server.client()
        let missing = try c.request("GET", "/v2/routes")
        #expect(missing.status == 401 && missing.headers["www-authenticate"] == "Bearer")
        #expect(try c.request("PUT", "/v2/routes/scoring", json: "{}", headers: ["Authorization": "Bearer nope"]).status == 401)
        #expect(try c.request("POST", "/v2/routes/scoring/canary/pause", body: [], headers: ["Authorization": "Bearer nope"]).status == 401)
        let list = try c.request("GET", "/v2/routes", headers: RoutingFixture.auth)
        #expect(list.status == 200)
        let routes = try #require(try JSONSerialization.jsonObject(with: Data(list.body)) as? [[String: Any]])
        #expect(routes.map { $0["name"] as? String } == ["scoring"])
        #expect(try c.request("GET", "/v2/routes/nope", headers: RoutingFixture.auth).status == 404)
    }

    @Test(arguments: [
        (#"{"model":"m","split":[{"version":1,"weight":70},{"version":2,"weight":20}]}"#, 400, "weights must sum to 100, they sum to 90"),
        (#"{"model":"m","split":[{"version":1,"weight":100}],"rules":[{"match":{"header_regex":{"x-a":"("}},"version":2}]}"#, 400, "is not a valid regular expression"),
        (#"{"model":"m","split":"all"}"#, 400, "split: must be a list"),
        (#"{"name":"other","model":"m","split":[{"version":1,"weight":100}]}"#, 400, "the path names route 'scoring'"),
        (#"{"model":"m","split":[{"version":1,"weight":50},{"version":9,"weight":50}]}"#, 409, "model 'm' has no version 9"),
        (#"{"model":"m","split":[{"version":1,"weight":50},{"label":"gold","weight":50}]}"#, 409, "model 'm' has no label 'gold'"),
        (#"{"model":"nothing","split":[{"version":1,"weight":100}]}"#, 409, "model 'nothing' is not in the repository"),
        (#"{"model":"m","split":[{"version":1,"weight":100}],"shadow":{"version":4,"percent":5}}"#, 409, "shadow: model 'm' has no version 4"),
    ])
    func aPutIsRefusedWithItsReasonAndChangesNothing(_ body: String, _ status: Int, _ reason: String) throws {
        let fixture = try RoutingFixture(routes: Self.routes)
        let server = try fixture.server()
        let c = try server.client()
        let a = try c.request("PUT", "/v2/routes/scoring", json: body, headers: RoutingFixture.auth)
        #expect(a.status == status)
        #expect(a.error?.contains(reason) == true, "\(a.text)")
        #expect(try String(contentsOfFile: fixture.routesFile, encoding: .utf8) == Self.routes)
        #expect(try c.request("POST", "/v2/models/scoring/infer", json: RoutingFixture.body).headers["x-sluice-model-version"] == "1")
    }

    /// Yams would overflow the stack on this body and kill the process (issue #14).
    @Test func aBodyNested20000DeepAnswers400AndTheServerLivesOn() throws {
        let fixture = try RoutingFixture(routes: Self.routes)
        let server = try fixture.server()
        let deep = String(repeating: #"{"a":"#, count: 20_000) + "1" + String(repeating: "}", count: 20_000)
        let a = try server.client().request("PUT", "/v2/routes/scoring", json: deep, headers: RoutingFixture.auth)
        #expect(a.status == 400)
        #expect(a.error?.contains("nested more than 64 levels deep") == true, "\(a.text)")
        #expect(try String(contentsOfFile: fixture.routesFile, encoding: .utf8) == Self.routes)
        #expect(try server.client().request("GET", "/v2/health/live").status == 200)
    }

    @Test func aRoutesFileNestedTooDeepIsRefusedAtStartNamingTheFile() throws {
        let deep = "routes: " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
        let fixture = try RoutingFixture(routes: deep)
        #expect {
            _ = try fixture.server()
        } throws: { error in
            error as? ConfigError == ConfigError(file: fixture.routesFile, keyPath: "", reason: "nested more than 64 levels deep")
        }
    }

    @Test func aPutAppliesAtOnceIsWrittenToTheRoutesFileAndSurvivesARestart() throws {
        let fixture = try RoutingFixture(routes: Self.routes)
        let body = """
            {"model":"m","split":[{"version":1,"weight":50},{"label":"canary","weight":50}],
             "sticky":{"cookie":"session"},"rules":[{"match":{"header_present":["x-debug"]},"version":2}],
             "shadow":{"version":2,"percent":10,"tolerance":0.001}}
            """
        do {
            let server = try fixture.server()
            let c = try server.client()
            let a = try c.request("PUT", "/v2/routes/scoring", json: body, headers: RoutingFixture.auth)
            #expect(a.status == 200, "\(a.text)")
            #expect((a.json?["split"] as? [[String: Any]])?.count == 2)
            let debug = try c.request("POST", "/v2/models/scoring/infer", json: RoutingFixture.body, headers: ["x-debug": "1"])
            #expect(debug.headers["x-sluice-arm"] == "rule:0")
            // A new route can be created the same way.
            let created = try c.request("PUT", "/v2/routes/second", json: #"{"model":"m","split":[{"version":2,"weight":100}]}"#,
                                        headers: RoutingFixture.auth)
            #expect(created.status == 200)
        }
        let written = try RouteConfig.parseFile(contentsOf: fixture.routesFile)
        #expect(written.map(\.name) == ["scoring", "second"])
        #expect(written[0].split == [Arm(.version(1), weight: 50), Arm(.label("canary"), weight: 50)])
        #expect(written[0].sticky == .cookie("session"))
        #expect(written[0].shadow == Shadow(target: .version(2), percent: 10, tolerance: 0.001))
        let again = try fixture.server()
        let live = try again.client().request("GET", "/v2/routes/scoring", headers: RoutingFixture.auth)
        #expect((live.json?["sticky"] as? [String: Any])?["cookie"] as? String == "session")
        #expect(try again.client().request("POST", "/v2/models/second/infer", json: RoutingFixture.body).headers["x-sluice-model-version"] == "2")
    }
}
