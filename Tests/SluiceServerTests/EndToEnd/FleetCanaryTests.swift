import Foundation
import Testing
import SluiceCore
@testable import SluiceServer

/// Fleet canaries end to end: a real server whose `routes.yaml` points a canary at a fake
/// Prometheus on loopback, with `start` in the past, so the driver's first ticks replay the
/// boundaries. The test polls `GET /v2/routes/{r}` with a deadline; nothing sleeps.
@Suite struct FleetCanaryTests {
    /// A whole second ten seconds ago: boundaries at start + 1 s, + 2 s, … are all due.
    static let start = (Date().timeIntervalSince1970 - 10).rounded(.down)

    static func routes(prometheusPort: Int, state: String = "progressing") -> String {
        """
        routes:
          - name: fleet
            model: m
            split: [{version: 1, weight: 100}]
            canary:
              candidate: 2
              steps: [10, 50, 100]
              interval: 1s
              min_requests: 100
              max_error_rate: 0.01
              max_p99_latency_ratio: 1.5
              start: \(Int(start))
              state: \(state)
              analysis: {prometheus: "http://127.0.0.1:\(prometheusPort)", scrape_delay: 0s, timeout: 1s}
        """
    }

    /// The route's live canary once `done` holds for it (polled for up to 20 s).
    static func canary(_ server: TestServer, until done: ([String: Any]) -> Bool) throws -> [String: Any] {
        let admin = try server.client()
        var canary: [String: Any] = [:]
        _ = try eventually(within: 20) {
            canary = try admin.request("GET", "/v2/routes/fleet", headers: RoutingFixture.auth).json?["canary"] as? [String: Any] ?? [:]
            return done(canary)
        }
        return canary
    }

    static func times(_ canary: [String: Any]) -> [String] {
        (canary["decisions"] as? [[String: Any]] ?? []).compactMap { $0["time"] as? String }
    }

    static func rfc3339(_ seconds: Double) -> String { WallClock.rfc3339(millisecondsSince1970: Int(seconds * 1000)) }

    @Test func aHealthyCandidateIsPromotedAtItsBoundariesAndTheAdminAPIAnswers409() throws {
        let prometheus = try FakePrometheus(
            FakePrometheus.figures(requests: "500", errors: "0", candidateP99: "0.01", baselineP99: "0.01"))
        let fixture = try RoutingFixture(routes: Self.routes(prometheusPort: prometheus.port))
        let server = try fixture.server()
        let canary = try Self.canary(server) { $0["state"] as? String == "promoted" }
        #expect(canary["state"] as? String == "promoted")
        #expect((canary["decisions"] as? [[String: Any]])?.compactMap { $0["decision"] as? String } == ["started", "advanced", "advanced", "promoted"])
        #expect(Self.times(canary) == [0, 1, 2, 3].map { Self.rfc3339(Self.start + $0) })
        #expect(canary["start"] as? String == Self.rfc3339(Self.start))
        #expect(canary["last_boundary"] as? String == Self.rfc3339(Self.start + 3))
        #expect(canary["next_boundary"] is NSNull)
        #expect((canary["analysis"] as? [String: Any])?["prometheus"] as? String == "http://127.0.0.1:\(prometheus.port)")
        // Every query was evaluated at a boundary.
        let times = Set(prometheus.asked.compactMap { $0.parameters["time"] })
        #expect(times == Set([1, 2, 3].map { String(Int(Self.start) + $0) }))

        let c = try server.client()
        let metrics = try c.request("GET", "/metrics").text
        #expect(metricSample(metrics, #"sluice_canary_step{route="fleet"}"#) == 3)
        #expect(metricSample(metrics, #"sluice_canary_boundary_timestamp_seconds{route="fleet"}"#) == Self.start + 3)
        #expect(metricSample(metrics, #"sluice_canary_decisions_total{route="fleet",decision="promoted"}"#) == 1)
        #expect(try c.request("POST", "/v2/models/fleet/infer", json: RoutingFixture.body).headers["x-sluice-model-version"] == "2")

        let refusal = "route 'fleet' takes its canary from Prometheus (analysis.prometheus): routes.yaml is the source of truth"
        let pause = try c.request("POST", "/v2/routes/fleet/canary/rollback", body: [], headers: RoutingFixture.auth)
        #expect(pause.status == 409 && pause.error?.hasPrefix(refusal) == true, "\(pause.text)")
        // A GET's body sent back is refused the same way, and the file is untouched.
        let body = try c.request("GET", "/v2/routes/fleet", headers: RoutingFixture.auth).body
        let put = try c.request("PUT", "/v2/routes/fleet", body: body, headers: RoutingFixture.auth)
        #expect(put.status == 409 && put.error?.hasPrefix(refusal) == true, "\(put.text)")
        #expect(try String(contentsOfFile: fixture.routesFile, encoding: .utf8) == Self.routes(prometheusPort: prometheus.port))
        #expect(!FileManager.default.fileExists(atPath: fixture.stateFile))
    }

    @Test func aCandidateWithErrorsIsRolledBackAtTheFirstBoundary() throws {
        let prometheus = try FakePrometheus(
            FakePrometheus.figures(requests: "500", errors: "25", candidateP99: "0.01", baselineP99: "0.01"))
        let fixture = try RoutingFixture(routes: Self.routes(prometheusPort: prometheus.port))
        let server = try fixture.server()
        let canary = try Self.canary(server) { $0["state"] as? String == "rolled_back" }
        #expect(Self.times(canary).last == Self.rfc3339(Self.start + 1))
        let reason = (canary["decisions"] as? [[String: Any]])?.last?["reason"] as? String
        #expect(reason == "error rate 0.05 > max_error_rate 0.01 (25 of 500 requests) at step 1 (10 %)")
        #expect(try server.client().request("POST", "/v2/models/fleet/infer", json: RoutingFixture.body).headers["x-sluice-model-version"] == "1")
    }

    @Test func withPrometheusUnreachableTheCanaryHoldsItsStepAndCountsTheFailures() throws {
        let refusing = try RefusingPort()
        let fixture = try RoutingFixture(routes: Self.routes(prometheusPort: refusing.port))
        let server = try fixture.server()
        let c = try server.client()
        #expect(try eventually(within: 20) {
            let metrics = try c.request("GET", "/metrics").text
            return (metricSample(metrics, #"sluice_canary_analysis_failures_total{route="fleet"}"#) ?? 0) >= 2
        })
        let canary = try Self.canary(server) { _ in true }
        #expect(canary["state"] as? String == "progressing" && canary["weight"] as? Int == 10 && canary["step"] as? Int == 1)
        #expect(canary["last_boundary"] is NSNull)
        #expect(canary["next_boundary"] as? String == Self.rfc3339(Self.start + 1))
        #expect(Self.times(canary) == [Self.rfc3339(Self.start)])
    }

    @Test func aPausedCanaryServesTheFileSplitAndAsksPrometheusNothing() throws {
        let prometheus = try FakePrometheus(
            FakePrometheus.figures(requests: "500", errors: "0", candidateP99: "0.01", baselineP99: "0.01"))
        let yaml = Self.routes(prometheusPort: prometheus.port, state: "paused")
            .replacingOccurrences(of: "[{version: 1, weight: 100}]", with: "[{version: 1, weight: 100}, {version: 2, weight: 0}]")
        let fixture = try RoutingFixture(routes: yaml)
        let server = try fixture.server()
        let canary = try Self.canary(server) { _ in true }
        #expect(canary["state"] as? String == "paused" && canary["weight"] as? Int == 0)
        let metrics = try server.client().request("GET", "/metrics").text
        #expect(metricSample(metrics, #"sluice_route_weight{route="fleet",model="m",version="2"}"#) == 0)
        #expect(prometheus.asked.isEmpty)
    }
}
