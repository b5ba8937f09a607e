import Foundation
import Testing
@testable import SluiceCore

/// A fleet canary's keys in `routes.yaml` (accepted, refused with key and reason, written back),
/// its times, its Prometheus URL, the PromQL it sends and the answers it reads.
@Suite struct FleetCanaryConfigTests {
    static let route = """
        routes:
          - name: fraud-ab
            model: fraud
            split: [{version: 1, weight: 100}]
            canary:
              candidate: 2
              steps: [10, 50, 100]
              interval: 5m
              min_requests: 200
              max_error_rate: 0.01
              max_p99_latency_ratio: 1.5
              start: 2026-12-06T23:00:00Z
              state: progressing
              analysis:
                prometheus: http://prometheus.monitoring:9090
                selector: 'namespace="prod",job="sluice"'
                scrape_delay: 30s
                timeout: 2s
        """

    /// `route` with `canary:`'s line `old` replaced by `new` ("" drops it).
    static func variant(_ old: String, _ new: String) -> String {
        route.replacingOccurrences(of: old, with: new)
    }

    @Test func theSpecsExampleParses() throws {
        let canary = try #require(try RouteConfig.parseFile(yaml: Self.route, file: "routes.yaml").first?.canary)
        #expect(canary.interval == 300)
        #expect(canary.analysis == CanaryAnalysis(
            prometheus: PrometheusURL(host: "prometheus.monitoring", port: 9090), selector: #"namespace="prod",job="sluice""#,
            scrapeDelay: 30, timeout: 2, start: 1_796_598_000, state: .progressing))
    }

    @Test func defaultsStartInUnixSecondsAndAStateApply() throws {
        let yaml = Self.variant("start: 2026-12-06T23:00:00Z", "start: 1796598000")
            .replacingOccurrences(of: "state: progressing", with: "state: rolled_back")
            .replacingOccurrences(of: "        selector: 'namespace=\"prod\",job=\"sluice\"'\n", with: "")
            .replacingOccurrences(of: "        scrape_delay: 30s\n", with: "")
            .replacingOccurrences(of: "        timeout: 2s\n", with: "")
        let analysis = try #require(try RouteConfig.parseFile(yaml: yaml, file: "routes.yaml").first?.canary?.analysis)
        #expect(analysis.start == 1_796_598_000 && analysis.state == .rolledBack)
        #expect(analysis.selector == nil && analysis.scrapeDelay == 30 && analysis.timeout == 2)
    }

    @Test func theTextWrittenBackReadsAsTheSameFleetCanary() throws {
        for yaml in [Self.route, Self.variant("state: progressing", "state: paused")] {
            let routes = try RouteConfig.parseFile(yaml: yaml, file: "routes.yaml")
            #expect(try RouteConfig.parseFile(yaml: RouteConfig.yaml(routes), file: "written.yaml") == routes)
        }
    }

    @Test(arguments: [
        (variant("    prometheus: http://prometheus.monitoring:9090", "    prometheus: https://prometheus.monitoring:9090"),
         "routes.yaml: routes[0].canary.analysis.prometheus: https is not supported"),
        (variant("    prometheus: http://prometheus.monitoring:9090", "    prometheus: prometheus:9090"),
         "routes.yaml: routes[0].canary.analysis.prometheus: must be an http:// URL"),
        (variant("    prometheus: http://prometheus.monitoring:9090", "    prometheus: http://prometheus:99999"),
         "routes.yaml: routes[0].canary.analysis.prometheus: has port '99999', not 1-65535"),
        (variant("    prometheus: http://prometheus.monitoring:9090", ""),
         "routes.yaml: routes[0].canary.analysis.prometheus: is required"),
        (variant("start: 2026-12-06T23:00:00Z", ""),
         "routes.yaml: routes[0].canary.start: is required with analysis.prometheus"),
        (variant("start: 2026-12-06T23:00:00Z", "start: 2026-12-06 23:00"),
         "routes.yaml: routes[0].canary.start: must be an RFC 3339 time"),
        (variant("start: 2026-12-06T23:00:00Z", "start: 2026-02-30T00:00:00Z"),
         "routes.yaml: routes[0].canary.start: must be an RFC 3339 time"),
        (variant("state: progressing", "state: stopped"),
         "routes.yaml: routes[0].canary.state: must be progressing, paused, promoted or rolled_back"),
        (variant("interval: 5m", "interval: 1500ms"),
         "routes.yaml: routes[0].canary.interval: must be a whole number of seconds with analysis.prometheus"),
        (variant(#"selector: 'namespace="prod",job="sluice"'"#, #"selector: '{job="sluice"}'"#),
         "routes.yaml: routes[0].canary.analysis.selector: must be label matchers without braces"),
        (variant(#"selector: 'namespace="prod",job="sluice"'"#, "selector: '  '"),
         "routes.yaml: routes[0].canary.analysis.selector: must be label matchers without braces"),
        (variant("timeout: 2s", "timeout: 0s"), "routes.yaml: routes[0].canary.analysis.timeout: must be longer than 0"),
        (variant("timeout: 2s", "timeout: 61s"), "routes.yaml: routes[0].canary.analysis.timeout: must be longer than 0 and at most 60 s"),
        (variant("scrape_delay: 30s", "scrape_delay: 2h"), "routes.yaml: routes[0].canary.analysis.scrape_delay: must be at most 3600 s"),
        (variant("    prometheus: http://prometheus.monitoring:9090", "    prometheus: \"http://p:9090/a\\r\\nX: y\""),
         "routes.yaml: routes[0].canary.analysis.prometheus: must be printable ASCII without spaces or control characters"),
        (variant("timeout: 2s", "retries: 3"), "routes.yaml: routes[0].canary.analysis.retries: unknown key"),
        (variant("  analysis:\n", "  elsewhere:\n"), "routes.yaml: routes[0].canary.elsewhere: unknown key"),
    ])
    func badFleetKeysAreRefusedWithTheKeyAndTheReason(_ yaml: String, _ message: String) {
        #expect {
            _ = try RouteConfig.parseFile(yaml: yaml, file: "routes.yaml")
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }

    @Test(arguments: ["start: 2026-12-06T23:00:00Z", "state: paused"])
    func startAndStateBelongToAnalysisPrometheus(_ line: String) {
        let yaml = """
            routes:
              - name: r
                model: m
                split: [{version: 1, weight: 100}]
                canary: {candidate: 2, steps: [50, 100], interval: 1s, min_requests: 1, max_error_rate: 0.1, max_p99_latency_ratio: 2, \(line)}
            """
        let key = line.split(separator: ":")[0]
        #expect {
            _ = try RouteConfig.parseFile(yaml: yaml, file: "routes.yaml")
        } throws: { error in
            "\(error)".hasPrefix("routes.yaml: routes[0].canary.\(key): belongs to a fleet canary: it is read only with analysis.prometheus")
        }
    }

    @Test func aPutBodyMayCarryTheLiveKeysOfAFleetCanarysGet() throws {
        let body = """
            {"model":"m","split":[{"version":1,"weight":100}],
             "canary":{"candidate":2,"steps":[10,100],"interval":"10s","min_requests":20,"max_error_rate":0.05,"max_p99_latency_ratio":3,
                       "start":"2026-12-06T23:00:00.000Z","analysis":{"prometheus":"http://p:9090","scrape_delay":"30s","timeout":"2s"},
                       "state":"promoted","step":2,"weight":100,"last_boundary":"2026-12-06T23:00:20.000Z","next_boundary":null,"decisions":[]}}
            """
        let analysis = try #require(try RouteConfig.parseBody(body, name: "r").canary?.analysis)
        // `state` of a GET is the live state: a PUT ignores it (and is refused for a fleet canary anyway).
        #expect(analysis.state == .progressing && analysis.start == 1_796_598_000)
    }

    @Test(arguments: [
        ("2026-12-06T23:00:00Z", 1_796_598_000.0),
        ("2026-12-07T00:30:00+01:30", 1_796_598_000),
        ("2026-12-06t22:00:00.250-01:00", 1_796_598_000.25),
        ("2024-02-29T00:00:00Z", 1_709_164_800),
        ("1796598000", 1_796_598_000),
        ("1796598000.5", 1_796_598_000.5),
    ])
    func timestampsReadRFC3339AndUnixSeconds(_ text: String, _ seconds: Double) {
        #expect(Timestamps.seconds(text) == seconds)
    }

    @Test(arguments: ["2026-12-06T23:00:00", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-12-06T24:00:00Z",
                      "2026-12-06T23:00:00+1:00", "-5", "1e9", "99999999999999999999", "2026-12-06T23:00:00Zjunk", ""])
    func badTimestampsAreRefused(_ text: String) {
        #expect(Timestamps.seconds(text) == nil)
    }

    @Test func prometheusURLsKeepTheirPrefixAndAQueryIsEncodedWithItsTime() throws {
        let url = try PrometheusURL(parsing: "http://prom.example/prometheus/")
        #expect(url == PrometheusURL(host: "prom.example", port: 80, path: "/prometheus"))
        #expect(url.description == "http://prom.example:80/prometheus")
        #expect(try PrometheusURL(parsing: "http://[::1]:9090") == PrometheusURL(host: "::1", port: 9090))
        #expect(url.queryTarget(#"sum(x{a="b"}[10s])"#, time: 1_796_598_010)
                == "/prometheus/api/v1/query?query=sum%28x%7Ba%3D%22b%22%7D%5B10s%5D%29&time=1796598010")
        #expect(throws: PrometheusURL.Refusal.self) { try PrometheusURL(parsing: "http://user@p:9090") }
        #expect(throws: PrometheusURL.Refusal.self) { try PrometheusURL(parsing: "http://:9090") }
    }

    @Test func theQueriesCoverTheWindowWithTheRouteTheCandidateAndTheSelector() {
        let analysis = CanaryAnalysis(
            prometheus: PrometheusURL(host: "p", port: 9090), selector: #"namespace="prod""#, start: 1_000)
        let q = BoundaryQuery(route: "fraud-ab", candidate: 2, analysis: analysis, windowStart: 1_000, boundary: 1_600).promQL
        #expect(q.requests == #"sum(increase(sluice_requests_total{route="fraud-ab",version="2",namespace="prod"}[600s]))"#)
        #expect(q.errors == #"sum(increase(sluice_requests_total{route="fraud-ab",version="2",namespace="prod",code!~"2.."}[600s]))"#)
        #expect(q.candidateP99 == #"histogram_quantile(0.99, sum by (le) (increase(sluice_request_duration_seconds_bucket{route="fraud-ab",version="2",namespace="prod"}[600s])))"#)
        #expect(q.baselineP99 == #"histogram_quantile(0.99, sum by (le) (increase(sluice_request_duration_seconds_bucket{route="fraud-ab",version!="2",namespace="prod"}[600s])))"#)
    }

    @Test(arguments: [
        (#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1765062000.5,"152.3"]}]}}"#, 152.3),
        (#"{"data":{"result":[{"value":[1,"0.0125"],"metric":{"le":"x"}}],"resultType":"vector"},"status":"success","warnings":["w"]}"#, 0.0125),
        (#"{"status":"success","data":{"resultType":"scalar","result":[1765062000,"7"]}}"#, 7),
        (#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"+Inf"]}]}}"#, .infinity),
    ])
    func anInstantVectorsValueIsRead(_ body: String, _ value: Double) throws {
        #expect(try PrometheusAnswer.value(Array(body.utf8)) == value)
    }

    @Test func anEmptyVectorIsNoValueAndNaNIsNaN() throws {
        #expect(try PrometheusAnswer.value(Array(#"{"status":"success","data":{"resultType":"vector","result":[]}}"#.utf8)) == nil)
        let nan = try PrometheusAnswer.value(Array(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}"#.utf8))
        #expect(nan?.isNaN == true)
    }

    @Test(arguments: [
        (#"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#, "Prometheus answered status error: bad_data: parse error at char 5"),
        ("<html>502 Bad Gateway</html>", "unreadable answer"),
        (#"{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"1"]},{"value":[1,"2"]}]}}"#, "2 series where one was expected"),
        (#"{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"lots"]}]}}"#, "unreadable answer"),
        (#"{"status":"success","data":{}}"#, "no data.result"),
        (#"{"status":"success","data":{"result":[]}} trailing"#, "unreadable answer"),
    ])
    func anErrorOrUnreadableAnswerSaysWhy(_ body: String, _ message: String) {
        #expect {
            _ = try PrometheusAnswer.value(Array(body.utf8))
        } throws: { error in
            "\(error)".contains(message)
        }
    }
}
