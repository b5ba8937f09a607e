import Foundation
import Testing
@testable import SluiceHTTP
@testable import SluiceServer

/// Canaries end to end on a short real interval: clients send in a bounded loop while the test
/// polls `GET /v2/routes/{r}` with a deadline; no sleep is an assertion.
@Suite struct CanaryTests {
    static func routes(candidate: Int) -> String {
        """
        routes:
          - name: live
            model: m
            split: [{version: 1, weight: 100}]
            canary:
              candidate: \(candidate)
              steps: [20, 50, 100]
              interval: 200ms
              min_requests: 20
              max_error_rate: 0.05
              max_p99_latency_ratio: 50
        """
    }

    /// Sends requests until the canary's state is `state` (checked every 25 requests), at most
    /// 20,000 requests or 60 s. Returns the last live state and the versions that answered.
    static func drive(_ server: TestServer, until state: String) throws -> (live: [String: Any]?, versions: [String: Int]) {
        let client = try server.client()
        let admin = try server.client()
        var versions: [String: Int] = [:]
        let deadline = Date().addingTimeInterval(60)
        var live: [String: Any]?
        for i in 0..<20_000 where Date() < deadline {
            let a = try client.request("POST", "/v2/models/live/infer", json: RoutingFixture.body)
            versions[a.headers["x-sluice-model-version"] ?? "?", default: 0] += 1
            if i % 25 == 0 {
                live = try admin.request("GET", "/v2/routes/live", headers: RoutingFixture.auth).json
                if (live?["canary"] as? [String: Any])?["state"] as? String == state { break }
            }
        }
        return (live, versions)
    }

    @Test func aHealthyCandidateIsPromotedThroughEveryStep() throws {
        let fixture = try RoutingFixture(routes: Self.routes(candidate: 2))
        let server = try fixture.server()
        let (live, versions) = try Self.drive(server, until: "promoted")
        let canary = try #require(live?["canary"] as? [String: Any])
        #expect(canary["state"] as? String == "promoted")
        #expect(canary["weight"] as? Int == 100)
        let decisions = (canary["decisions"] as? [[String: Any]] ?? []).compactMap { $0["decision"] as? String }
        #expect(decisions == ["started", "advanced", "advanced", "promoted"])
        #expect(versions["1"] ?? 0 > 0 && versions["2"] ?? 0 > 0)
        // Promoted: every request now goes to the candidate, and the split says so.
        let split = live?["split"] as? [[String: Any]] ?? []
        #expect(split.map { $0["weight"] as? Int } == [0, 100])
        let c = try server.client()
        for _ in 0..<20 {
            #expect(try c.request("POST", "/v2/models/live/infer", json: RoutingFixture.body).headers["x-sluice-model-version"] == "2")
        }
        let metrics = try c.request("GET", "/metrics").text
        #expect(metrics.contains(#"sluice_canary_decisions_total{route="live",decision="advanced"} 2"#))
        #expect(metrics.contains(#"sluice_canary_decisions_total{route="live",decision="promoted"} 1"#))
        #expect(metrics.contains(#"sluice_canary_step{route="live"} 3"#))
        #expect(metrics.contains(#"sluice_route_weight{route="live",model="m",version="2"} 100"#))
        // The decisions are on disk, and a restart keeps the promotion.
        let saved = try String(contentsOfFile: fixture.stateFile, encoding: .utf8)
        #expect(saved.contains(#""state" : "promoted""#))
        let again = try fixture.server()
        let restored = try again.client().request("GET", "/v2/routes/live", headers: RoutingFixture.auth).json?["canary"] as? [String: Any]
        #expect(restored?["state"] as? String == "promoted")
        #expect(try again.client().request("POST", "/v2/models/live/infer", json: RoutingFixture.body).headers["x-sluice-model-version"] == "2")
    }

    @Test func aCandidateThatRejectsTheClientsRequestsIsRolledBack() throws {
        // Version 3 is iris: it refuses the 20-feature requests every client sends.
        let fixture = try RoutingFixture(routes: Self.routes(candidate: 3))
        let server = try fixture.server()
        let (live, versions) = try Self.drive(server, until: "rolled_back")
        let canary = try #require(live?["canary"] as? [String: Any])
        #expect(canary["state"] as? String == "rolled_back")
        #expect(canary["weight"] as? Int == 0)
        let last = (canary["decisions"] as? [[String: Any]])?.last
        #expect(last?["decision"] as? String == "rolled_back")
        #expect((last?["reason"] as? String)?.contains("> max_error_rate 0.05") == true, "\(last ?? [:])")
        #expect(versions["3"] ?? 0 >= 20)
        let c = try server.client()
        for _ in 0..<30 {
            let a = try c.request("POST", "/v2/models/live/infer", json: RoutingFixture.body)
            #expect(a.status == 200 && a.headers["x-sluice-model-version"] == "1")
        }
        #expect(try String(contentsOfFile: fixture.stateFile, encoding: .utf8).contains(#""state" : "rolled_back""#))
    }

    /// gRPC calls count in the canary's window as REST requests do: a candidate that answers
    /// them INVALID_ARGUMENT (the HTTP 400 it stands for) is rolled back.
    @Test func aCandidateThatFailsGRPCCallsIsRolledBack() throws {
        let fixture = try RoutingFixture(routes: Self.routes(candidate: 3))
        let server = try fixture.server()
        // ModelInfer for route `live`: input `input`, FP32 [1, 20], raw contents.
        var tensor = ProtobufWriter(out: [])
        tensor.string(1, "input")
        tensor.string(2, "FP32")
        tensor.tag(3, wireType: 2)
        tensor.varint(2)
        tensor.varint(1)
        tensor.varint(20)
        var call = ProtobufWriter(out: [])
        call.string(1, "live")
        call.tag(5, wireType: 2)
        call.varint(UInt64(tensor.out.count))
        call.out += tensor.out
        call.tag(7, wireType: 2)
        call.varint(80)
        for i in 0..<20 { withUnsafeBytes(of: Float(i).bitPattern.littleEndian) { call.out += $0 } }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-canary-\(UUID().uuidString).grpc")
        try Data(GRPCFraming.frame(call.out, compressed: false)).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let admin = try server.client()
        var state: String?
        let deadline = Date().addingTimeInterval(60)
        for _ in 0..<200 where Date() < deadline {
            let run = try Tool.run("h2load", [
                "-n", "100", "-c", "1", "-d", file.path, "-H", "content-type: application/grpc", "-H", "te: trailers",
                "http://127.0.0.1:\(server.port)/inference.GRPCInferenceService/ModelInfer",
            ], timeout: 30)
            #expect(run.text.contains("100 succeeded"), "\(run.all)")
            state = ((try admin.request("GET", "/v2/routes/live", headers: RoutingFixture.auth).json)?["canary"] as? [String: Any])?["state"] as? String
            if state == "rolled_back" { break }
        }
        #expect(state == "rolled_back")
        let metrics = try admin.request("GET", "/metrics").text
        #expect(metrics.contains(#"protocol="grpc""#))
    }

    @Test func operatorsPauseResumeAndPromoteThroughTheAdminAPI() throws {
        let fixture = try RoutingFixture(routes: Self.routes(candidate: 2).replacingOccurrences(of: "200ms", with: "1h"))
        let server = try fixture.server()
        let c = try server.client()
        func post(_ op: String) throws -> RawClient.Answer {
            try c.request("POST", "/v2/routes/live/canary/\(op)", body: [], headers: RoutingFixture.auth)
        }
        #expect(try post("resume").status == 409)
        let paused = try post("pause")
        #expect(paused.status == 200)
        #expect((paused.json?["canary"] as? [String: Any])?["state"] as? String == "paused")
        #expect(try post("pause").status == 409)
        #expect(try post("resume").status == 200)
        #expect(try post("sideways").status == 404)
        let promoted = try post("promote")
        #expect((promoted.json?["canary"] as? [String: Any])?["state"] as? String == "promoted")
        #expect(try c.request("POST", "/v2/models/live/infer", json: RoutingFixture.body).headers["x-sluice-model-version"] == "2")
        let rolledBack = try post("rollback")
        #expect((rolledBack.json?["canary"] as? [String: Any])?["weight"] as? Int == 0)
        #expect(try c.request("POST", "/v2/models/live/infer", json: RoutingFixture.body).headers["x-sluice-model-version"] == "1")
        #expect(try c.request("POST", "/v2/routes/nope/canary/pause", body: [], headers: RoutingFixture.auth).status == 404)
    }
}
