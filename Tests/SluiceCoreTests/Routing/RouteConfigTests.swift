import Testing
@testable import SluiceCore

/// `routes.yaml`: what is accepted, what is refused with file, key and reason, and the text a
/// `PUT` writes back reading as the same routes.
@Suite struct RouteConfigTests {
    static let full = """
        routes:
          - name: fraud-ab
            model: fraud
            split:
              - {version: 1, weight: 90}
              - {label: canary, weight: 10}
            sticky: {header: X-User-Id}
            rules:
              - {match: {header: {x-canary: "always"}}, version: 2}
              - {match: {header_present: x-debug}, label: canary}
              - {match: {header_regex: {user-agent: "curl/.*"}, header: {x-region: eu}}, version: 1}
            shadow: {version: 2, percent: 12.5, tolerance: 1e-4}
            canary:
              candidate: 2
              steps: [5, 10, 25, 50, 100]
              interval: 60s
              min_requests: 200
              max_error_rate: 0.01
              max_p99_latency_ratio: 1.5
              on_success: promote
              on_failure: rollback
          - name: iris
            model: iris
            split: [{version: 1, weight: 100}]
            sticky: {cookie: session}
        """

    @Test func aFullRouteFileParsesIntoItsParts() throws {
        let routes = try RouteConfig.parseFile(yaml: Self.full, file: "routes.yaml")
        #expect(routes.count == 2)
        let r = routes[0]
        #expect(r.name == "fraud-ab" && r.model == "fraud")
        #expect(r.split == [Arm(.version(1), weight: 90), Arm(.label("canary"), weight: 10)])
        #expect(r.sticky == .header("x-user-id"))
        #expect(r.rules.count == 3)
        #expect(r.rules[0] == Rule(conditions: [.equals(name: "x-canary", value: "always")], target: .version(2)))
        #expect(r.rules[1] == Rule(conditions: [.present(name: "x-debug")], target: .label("canary")))
        #expect(r.rules[2].conditions.count == 2)
        #expect(r.shadow == Shadow(target: .version(2), percent: 12.5, tolerance: 1e-4))
        #expect(r.canary == CanarySpec(candidate: 2, steps: [5, 10, 25, 50, 100], interval: 60, minRequests: 200,
                                       maxErrorRate: 0.01, maxP99LatencyRatio: 1.5))
        #expect(routes[1].sticky == .cookie("session"))
    }

    @Test(arguments: [
        ("routes: [{name: r, model: m, split: [{version: 1, weight: 60}, {version: 2, weight: 30}]}]",
         "routes.yaml: routes[0].split: weights must sum to 100, they sum to 90"),
        ("routes: [{name: r, model: m, split: [{version: 1, weight: 100.5}]}]",
         "routes.yaml: routes[0].split[0].weight: must be an integer from 0 to 100"),
        ("routes: [{name: r, model: m, split: [{version: 1, label: a, weight: 100}]}]",
         "routes.yaml: routes[0].split[0]: names both a version and a label; give one"),
        ("routes: [{name: r, model: m, split: [{version: 1, weight: 50}, {version: 1, weight: 50}]}]",
         "routes.yaml: routes[0].split[1]: version:1 appears twice in the split"),
        ("routes: [{name: r, model: m, split: [{version: 1, weight: 100}], rules: [{match: {header_regex: {x-a: '(unclosed'}}, version: 1}]}]",
         "routes.yaml: routes[0].rules[0].match.header_regex.x-a: is not a valid regular expression"),
        ("routes: [{name: r, model: m, split: [{version: 1, weight: 100}], stiky: {header: x}}]",
         "routes.yaml: routes[0].stiky: unknown key"),
        ("routes: [{name: r, model: m, split: [{version: 1, weight: 100}]}, {name: r, model: m, split: [{version: 1, weight: 100}]}]",
         "routes.yaml: routes[1].name: route 'r' is defined twice"),
        ("routes: [{name: '../x', model: m, split: [{version: 1, weight: 100}]}]",
         "routes.yaml: routes[0].name: must be 1-128 characters"),
        ("routes: [{name: r, model: m, split: [{version: 2, weight: 100}], canary: {candidate: 2, steps: [50, 100], interval: 1s, min_requests: 1, max_error_rate: 0.1, max_p99_latency_ratio: 2}}]",
         "routes.yaml: routes[0].split: needs a baseline arm besides the canary's candidate (version 2)"),
        ("routes: [{name: r, model: m, split: [{version: 1, weight: 100}], canary: {candidate: 2, steps: [50, 20], interval: 1s, min_requests: 1, max_error_rate: 0.1, max_p99_latency_ratio: 2}}]",
         "routes.yaml: routes[0].canary.steps: must increase strictly"),
        ("routes: [{name: r, model: m, split: [{version: 1, weight: 100}], canary: {candidate: 2, steps: [50], interval: soon, min_requests: 1, max_error_rate: 0.1, max_p99_latency_ratio: 2}}]",
         "routes.yaml: routes[0].canary.interval: must be a duration"),
        ("routes: [{name: r, model: m, split: [{version: 1, weight: 100}], canary: {candidate: 2, steps: [50], interval: 1s, min_requests: 1, max_error_rate: 2, max_p99_latency_ratio: 2}}]",
         "routes.yaml: routes[0].canary.max_error_rate: must be a number from 0 to 1"),
        ("routes: [{name: r, model: m, split: [{version: 1, weight: 100}], shadow: {version: 2}}]",
         "routes.yaml: routes[0].shadow.percent: is required"),
    ])
    func badRoutesAreRefusedWithTheKeyAndTheReason(_ yaml: String, _ message: String) {
        #expect {
            _ = try RouteConfig.parseFile(yaml: yaml, file: "routes.yaml")
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }

    @Test func theTextWrittenBackReadsAsTheSameRoutes() throws {
        let routes = try RouteConfig.parseFile(yaml: Self.full, file: "routes.yaml")
        let again = try RouteConfig.parseFile(yaml: RouteConfig.yaml(routes), file: "written.yaml")
        #expect(again == routes)
    }

    @Test func aPutBodyInJSONParsesAndMayCarryTheLiveCanaryKeys() throws {
        let body = """
            {"name":"r","model":"m","split":[{"version":1,"weight":80},{"version":2,"weight":20}],"rules":[],"sticky":null,"shadow":null,
             "canary":{"candidate":2,"steps":[20,100],"interval":"200ms","min_requests":20,"max_error_rate":0.05,
                       "max_p99_latency_ratio":3,"on_success":"promote","on_failure":"rollback","state":"progressing","step":1,"weight":20,"decisions":[]}}
            """
        let route = try RouteConfig.parseBody(body, name: "r")
        #expect(route.split == [Arm(.version(1), weight: 80), Arm(.version(2), weight: 20)])
        #expect(route.canary?.interval == 0.2)
        #expect(route.sticky == nil)
        #expect(throws: ConfigError.self) { try RouteConfig.parseBody(body, name: "other") }
    }
}
