import Foundation
import Testing
@testable import SluiceServer

/// Traffic routes over real sockets: the split's accuracy, sticky keys computed by hand and
/// stable across a restart, rules before the split, what every answer says served it, and the
/// route's label on the metrics.
@Suite struct RoutingTests {
    static let split8020 = """
        routes:
          - name: scoring
            model: m
            split:
              - {version: 1, weight: 80}
              - {label: canary, weight: 20}
            sticky: {header: x-user-id}
            rules:
              - {match: {header: {x-canary: always}}, version: 2}
              - {match: {header_regex: {x-tier: "gold|platinum"}}, version: 3}
        """

    @Test func eightyTwentyLandsWithinTwoAndAHalfPointsOverFourThousandRequests() throws {
        let fixture = try RoutingFixture(routes: Self.split8020)
        let server = try fixture.server()
        let clients = try (0..<2).map { _ in try server.client() }
        var second = 0
        for i in 0..<4000 {
            let a = try clients[i % 2].request("POST", "/v2/models/scoring/infer", json: RoutingFixture.body)
            #expect(a.status == 200)
            #expect(a.headers["x-sluice-route"] == "scoring")
            switch a.headers["x-sluice-arm"] {
            case "version:1": #expect(a.headers["x-sluice-model-version"] == "1")
            case "label:canary":
                #expect(a.headers["x-sluice-model-version"] == "2")
                second += 1
            default: Issue.record("unexpected arm \(a.headers["x-sluice-arm"] ?? "none")")
            }
        }
        let share = Double(second) / 4000 * 100
        #expect(abs(share - 20) <= 2.5, "canary share \(share) %")
        let metrics = try clients[0].request("GET", "/metrics").text
        #expect(metrics.contains(#"sluice_requests_total{route="scoring",model="m",version="2",protocol="v2",code="200"} \#(second)"#))
        #expect(metrics.contains(#"sluice_requests_total{route="scoring",model="m",version="1",protocol="v2",code="200"} \#(4000 - second)"#))
        #expect(metrics.contains(#"sluice_route_weight{route="scoring",model="m",version="1"} 80"#))
        #expect(metrics.contains(#"sluice_route_weight{route="scoring",model="m",version="2"} 20"#))
    }

    /// The arm MurmurHash3 x86_32 (seed 0) gives `key` over 80/20, computed in the test.
    static func expectedArm(_ key: String) -> String {
        let bucket = Int((UInt64(ReferenceMurmur3.hash(Array(key.utf8))) * 100) >> 32)
        return bucket < 80 ? "version:1" : "label:canary"
    }

    @Test func stickyKeysKeepTheirArmAndTheHashSaysWhichAcrossARestart() throws {
        let fixture = try RoutingFixture(routes: Self.split8020)
        let keys = (0..<60).map { "customer-\($0 * 7919)" }
        var first: [String: String] = [:]
        do {
            let server = try fixture.server()
            let c = try server.client()
            for round in 0..<3 {
                for key in keys {
                    let a = try c.request("POST", "/v2/models/scoring/infer", json: RoutingFixture.body, headers: ["X-User-Id": key])
                    let arm = try #require(a.headers["x-sluice-arm"])
                    #expect(arm == Self.expectedArm(key), "\(key)")
                    if round == 0 { first[key] = arm } else { #expect(first[key] == arm, "\(key) changed arm") }
                }
            }
        }
        #expect(Set(first.values).count == 2, "60 keys should reach both arms")
        let again = try fixture.server()
        let c = try again.client()
        for key in keys {
            let a = try c.request("POST", "/v2/models/scoring/infer", json: RoutingFixture.body, headers: ["x-user-id": key])
            #expect(a.headers["x-sluice-arm"] == first[key], "\(key) after restart")
        }
    }

    @Test func rulesWinOverTheSplitAndTheStickyKey() throws {
        let fixture = try RoutingFixture(routes: Self.split8020)
        let server = try fixture.server()
        let c = try server.client()
        for i in 0..<20 {
            let a = try c.request("POST", "/v2/models/scoring/infer", json: RoutingFixture.body,
                                  headers: ["x-canary": "always", "x-user-id": "u\(i)"])
            #expect(a.status == 200)
            #expect(a.headers["x-sluice-arm"] == "rule:0")
            #expect(a.headers["x-sluice-model-version"] == "2")
        }
        // The regex rule sends gold customers to version 3, which refuses 20 features: the answer
        // still says which route, arm and version refused it.
        let refused = try c.request("POST", "/v2/models/scoring/infer", json: RoutingFixture.body, headers: ["x-tier": "gold"])
        #expect(refused.status == 400)
        #expect(refused.headers["x-sluice-arm"] == "rule:1")
        #expect(refused.headers["x-sluice-model-version"] == "3")
        let silver = try c.request("POST", "/v2/models/scoring/infer", json: RoutingFixture.body, headers: ["x-tier": "gold-ish"])
        #expect(silver.headers["x-sluice-arm"]?.hasPrefix("rule:") == false)
    }

    @Test func anExplicitVersionBypassesTheRouteAndMetadataAnswersForIt() throws {
        let fixture = try RoutingFixture(routes: Self.split8020)
        let server = try fixture.server()
        let c = try server.client()
        for _ in 0..<10 {
            let a = try c.request("POST", "/v2/models/scoring/versions/2/infer", json: RoutingFixture.body)
            #expect(a.status == 200 && a.headers["x-sluice-model-version"] == "2")
            #expect(a.headers["x-sluice-route"] == nil && a.headers["x-sluice-arm"] == nil)
        }
        let metadata = try c.request("GET", "/v2/models/scoring")
        #expect(metadata.status == 200)
        #expect(metadata.json?["name"] as? String == "scoring")
        #expect(metadata.json?["versions"] as? [String] == ["1", "2", "3"])
        #expect(try c.request("GET", "/v2/models/scoring/ready").json?["ready"] as? Bool == true)
        #expect(try c.request("GET", "/v2/models/scoring/versions/3/ready").status == 200)
        #expect(try c.request("GET", "/v2/models/scoring/versions/9/ready").status == 404)
        // The model itself stays reachable under its own name, without the route.
        let direct = try c.request("POST", "/v2/models/m/infer", json: RoutingFixture.body)
        #expect(direct.headers["x-sluice-model-version"] == "3" || direct.status == 400)
        #expect(direct.headers["x-sluice-route"] == nil)
    }

    @Test func aRouteWinsOverAModelOfTheSameName() throws {
        let fixture = try RoutingFixture(routes: """
            routes:
              - name: m
                model: m
                split: [{version: 1, weight: 100}]
            """)
        let server = try fixture.server()
        let c = try server.client()
        let a = try c.request("POST", "/v2/models/m/infer", json: RoutingFixture.body)
        #expect(a.status == 200 && a.headers["x-sluice-model-version"] == "1" && a.headers["x-sluice-route"] == "m")
    }

    @Test func anArmWhoseVersionCannotServeAnswers503NamingTheArm() throws {
        let fixture = try RoutingFixture(routes: """
            routes:
              - name: r
                model: m
                split: [{version: 7, weight: 100}]
            """)
        let server = try fixture.server()
        let a = try server.client().request("POST", "/v2/models/r/infer", json: RoutingFixture.body)
        #expect(a.status == 503)
        #expect(a.error?.contains("route 'r' sent this request to version:7") == true)
        #expect(try server.client().request("GET", "/v2/models/r/ready").status == 503)
    }

    @Test func aBrokenRoutesFileStopsTheServerFromStarting() throws {
        let fixture = try RoutingFixture(routes: "routes: [{name: r, model: m, split: [{version: 1, weight: 99}]}]")
        #expect {
            _ = try fixture.server()
        } throws: { error in
            "\(error)".contains("routes[0].split: weights must sum to 100, they sum to 99")
        }
    }

    @Test func routesApplyToV1AsToV2() throws {
        let fixture = try RoutingFixture(routes: Self.split8020)
        let server = try fixture.server()
        let c = try server.client()
        let row = "[" + RoutingFixture.row + "]"
        for i in 0..<40 {
            let key = "v1-user-\(i)"
            let a = try c.request("POST", "/v1/models/scoring:predict", json: #"{"instances":[\#(row)]}"#, headers: ["x-user-id": key])
            #expect(a.status == 200, "\(a.text)")
            #expect(a.headers["x-sluice-route"] == "scoring")
            #expect(a.headers["x-sluice-arm"] == Self.expectedArm(key), "\(key)")
            #expect(a.headers["x-sluice-model-version"] == (Self.expectedArm(key) == "version:1" ? "1" : "2"))
        }
        let ruled = try c.request("POST", "/v1/models/scoring:predict", json: #"{"instances":[\#(row)]}"#, headers: ["x-canary": "always"])
        #expect(ruled.headers["x-sluice-arm"] == "rule:0" && ruled.headers["x-sluice-model-version"] == "2")
        // A label or a version in the path bypasses the split, on the route's model.
        let labelled = try c.request("POST", "/v1/models/scoring/labels/stable:predict", json: #"{"instances":[\#(row)]}"#)
        #expect(labelled.headers["x-sluice-model-version"] == "1" && labelled.headers["x-sluice-route"] == nil)
        let versioned = try c.request("POST", "/v1/models/scoring/versions/2:predict", json: #"{"instances":[\#(row)]}"#)
        #expect(versioned.headers["x-sluice-model-version"] == "2" && versioned.headers["x-sluice-route"] == nil)
        let status = try c.request("GET", "/v1/models/scoring")
        #expect(status.json?["name"] as? String == "scoring" && status.json?["ready"] as? Bool == true)
        let metrics = try c.request("GET", "/metrics").text
        #expect(metrics.contains(#"sluice_requests_total{route="scoring",model="m",version="2",protocol="v1",code="200"}"#))
    }
}
