import Testing
@testable import SluiceCore

/// Arm choice without a server: thresholds, sticky keys computed by hand, rules first, cookies,
/// and how a canary's share is taken from the baseline arms.
@Suite struct CompiledRouteTests {
    static func route(_ yaml: String) throws -> RouteConfig {
        try #require(try RouteConfig.parseFile(yaml: "routes:\n  - " + yaml, file: "t").first)
    }

    static func headers(_ fields: [String: String]) -> (String) -> String? {
        { name in fields.first { $0.key.lowercased() == name }?.value }
    }

    @Test func stickyKeysLandWhereTheirHashSaysByHand() throws {
        let config = try Self.route("{name: r, model: m, split: [{version: 1, weight: 80}, {version: 2, weight: 20}], sticky: {header: x-user-id}}")
        let route = CompiledRoute(config: config, candidateWeight: nil, metrics: nil)
        for i in 0..<500 {
            let key = "user-\(i)"
            let bucket = Int((UInt64(MurmurHash3.x86_32(key[...])) * 100) >> 32)
            let expected = bucket < 80 ? ArmTarget.version(1) : .version(2)
            let decision = route.decide(header: Self.headers(["x-user-id": key]))
            #expect(decision.target == expected, "\(key)")
            #expect(route.decide(header: Self.headers(["x-user-id": key])).target == decision.target)
        }
    }

    @Test func aCookieCanBeTheStickyKey() throws {
        let config = try Self.route("{name: r, model: m, split: [{version: 1, weight: 50}, {version: 2, weight: 50}], sticky: {cookie: sid}}")
        let route = CompiledRoute(config: config, candidateWeight: nil, metrics: nil)
        #expect(CompiledRoute.cookie("sid", in: "a=1; sid=\"abc\" ;b=2") == "abc")
        #expect(CompiledRoute.cookie("sid", in: "sidx=1") == nil)
        let byCookie = route.decide(header: Self.headers(["cookie": "theme=dark; sid=user-7"]))
        let bucket = Int((UInt64(MurmurHash3.x86_32("user-7")) * 100) >> 32)
        #expect(byCookie.target == (bucket < 50 ? .version(1) : .version(2)))
    }

    @Test func rulesAreTriedInOrderBeforeTheSplit() throws {
        let config = try Self.route("""
            {name: r, model: m, split: [{version: 1, weight: 100}], rules: [
                  {match: {header: {x-canary: always}}, version: 2},
                  {match: {header_regex: {user-agent: "curl/[0-9.]+"}}, version: 3},
                  {match: {header_present: [x-debug, x-trace]}, label: debug}]}
            """)
        let route = CompiledRoute(config: config, candidateWeight: nil, metrics: nil)
        #expect(route.decide(header: Self.headers(["x-canary": "always", "user-agent": "curl/8.5"])).target == .version(2))
        #expect(route.decide(header: Self.headers(["x-canary": "sometimes", "user-agent": "curl/8.5"])).target == .version(3))
        #expect(route.decide(header: Self.headers(["user-agent": "curl/8.5 extra"])).target == .version(1), "the whole value must match")
        #expect(route.decide(header: Self.headers(["x-debug": "", "x-trace": "1"])).target == .label("debug"))
        #expect(route.decide(header: Self.headers(["x-debug": "1"])).target == .version(1), "every condition must hold")
        let ruled = route.decide(header: Self.headers(["x-canary": "always"]))
        #expect(ruled.kind == .rule && ruled.armName == "rule:0")
    }

    @Test func theCanaryShareIsTakenFromTheBaselineInProportion() throws {
        let config = try Self.route("""
            {name: r, model: m, split: [{version: 1, weight: 60}, {label: stable, weight: 40}],
             canary: {candidate: 3, steps: [10, 100], interval: 1s, min_requests: 1, max_error_rate: 0, max_p99_latency_ratio: 2}}
            """)
        let route = CompiledRoute(config: config, candidateWeight: 25, metrics: nil)
        #expect(route.arms.map(\.weight) == [45, 30, 25])
        #expect(route.arms.last?.target == .version(3))
        #expect(route.candidateArm == 2)
        #expect(route.arm(forBucket: 74) == 1 && route.arm(forBucket: 75) == 2 && route.arm(forBucket: 99) == 2)
        #expect(CompiledRoute.apportion(93, over: [1, 1, 1]) == [31, 31, 31])
        #expect(CompiledRoute.apportion(10, over: [1, 1, 1]) == [4, 3, 3])
        #expect(CompiledRoute.apportion(0, over: [70, 30]) == [0, 0])
    }

    @Test func randomDrawsFollowTheWeights() throws {
        let config = try Self.route("{name: r, model: m, split: [{version: 1, weight: 70}, {version: 2, weight: 30}]}")
        let route = CompiledRoute(config: config, candidateWeight: nil, metrics: nil)
        var second = 0
        for _ in 0..<20_000 where route.decide(header: { _ in nil }).target == .version(2) { second += 1 }
        #expect(abs(Double(second) / 20_000 - 0.30) < 0.02)
    }
}
