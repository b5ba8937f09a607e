import Foundation
import Testing
@testable import SluiceServer

/// Shadows over real sockets: every copy is counted as compared or failed, mismatches are
/// counted against the tolerance, and a shadow that refuses every request costs the client
/// nothing.
@Suite struct ShadowTests {
    @Test func aShadowThatRejectsEveryRequestNeverFailsThePrimary() throws {
        let fixture = try RoutingFixture(routes: """
            routes:
              - name: shadowed
                model: m
                split: [{version: 1, weight: 100}]
                shadow: {version: 3, percent: 100}
            """)
        let server = try fixture.server()
        let c = try server.client()
        for _ in 0..<40 {
            let a = try c.request("POST", "/v2/models/shadowed/infer", json: RoutingFixture.body)
            #expect(a.status == 200 && a.headers["x-sluice-model-version"] == "1")
        }
        let failed = #"sluice_shadow_requests_total{route="shadowed",model="m",version="3",result="failed"}"#
        let dropped = #"sluice_shadow_requests_total{route="shadowed",model="m",version="",result="dropped"}"#
        #expect(try eventually(within: 20) {
            let text = try c.request("GET", "/metrics").text
            return (metricSample(text, failed) ?? 0) + (metricSample(text, dropped) ?? 0) == 40
        })
    }

    @Test func shadowAnswersAreComparedWithinTheTolerance() throws {
        let fixture = try RoutingFixture(routes: """
            routes:
              - name: same
                model: m
                split: [{version: 1, weight: 100}]
                shadow: {label: stable, percent: 100}
              - name: other
                model: m
                split: [{version: 1, weight: 100}]
                shadow: {version: 2, percent: 100, tolerance: 0}
            """)
        let server = try fixture.server()
        let c = try server.client()
        for _ in 0..<10 {
            #expect(try c.request("POST", "/v2/models/same/infer", json: RoutingFixture.body).status == 200)
            #expect(try c.request("POST", "/v2/models/other/infer", json: RoutingFixture.body).status == 200)
        }
        let compared = #"sluice_shadow_requests_total{route="%@",model="m",version="%@",result="compared"}"#
        #expect(try eventually(within: 20) {
            let text = try c.request("GET", "/metrics").text
            return metricSample(text, String(format: compared, "same", "1")) == 10 && metricSample(text, String(format: compared, "other", "2")) == 10
        })
        let text = try c.request("GET", "/metrics").text
        // Version 1 against itself agrees; version 2 (other trees) gives other probabilities.
        #expect(metricSample(text, #"sluice_shadow_mismatches_total{route="same",model="m",version="1"}"#) == nil)
        #expect(metricSample(text, #"sluice_shadow_mismatches_total{route="other",model="m",version="2"}"#) == 10)
    }
}
