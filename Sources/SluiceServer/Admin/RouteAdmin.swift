import SluiceCore
import SluiceHTTP
import SluiceJSON

/// The routes admin API (README "Try it" and "Errors", behind the admin bearer token): `GET /v2/routes`,
/// `GET|PUT /v2/routes/{r}`, `POST /v2/routes/{r}/canary/{promote|rollback|pause|resume}`.
/// Handlers check the token on the loop and do the work (file writes) on a background queue.
struct RouteAdmin: Sendable {
    let routes: Routes
    let auth: AdminAuth

    func register(in endpoints: inout Endpoints) {
        endpoints.add("GET", "/v2/routes") { request, _, writer in
            try auth.guarded(request, writer) {
                var w = JSONWriter()
                w.array { w in for route in routes.liveAll() { Self.write(route, to: &w) } }
                return .json(200, w.bytes)
            }
        }
        endpoints.add("GET", "/v2/routes/{route}") { request, p, writer in
            let name = String(p["route"] ?? "")
            try auth.guarded(request, writer) { try answer(name) }
        }
        endpoints.add("PUT", "/v2/routes/{route}") { request, p, writer in
            let name = String(p["route"] ?? "")
            try auth.guarded(request, writer) {
                let config: RouteConfig
                do throws(ConfigError) {
                    config = try RouteConfig.parseBody(String(decoding: request.body, as: UTF8.self), name: name)
                } catch {
                    throw RouteChangeError.invalid("invalid route: \(error)")
                }
                try routes.replace(config)
                return try answer(name)
            }
        }
        endpoints.add("POST", "/v2/routes/{route}/canary/{operation}") { request, p, writer in
            let name = String(p["route"] ?? "")
            let operationName = String(p["operation"] ?? "")
            try auth.guarded(request, writer) {
                guard let operation = Routes.CanaryOperation(rawValue: operationName) else {
                    let known = Routes.CanaryOperation.allCases.map(\.rawValue).joined(separator: ", ")
                    throw RouteChangeError.notFound("no canary operation '\(operationName)' (known: \(known))")
                }
                try routes.operate(name, operation)
                return try answer(name)
            }
        }
    }

    private func answer(_ name: String) throws(RouteChangeError) -> Response {
        guard let route = routes.live(name) else { throw .notFound("unknown route '\(name)'") }
        var w = JSONWriter()
        Self.write(route, to: &w)
        return .json(200, w.bytes)
    }

    /// The live state of README "Routing and canaries": the configuration's shape with the weights
    /// in force, and what the canary controller knows.
    static func write(_ route: LiveRoute, to w: inout JSONWriter) {
        let config = route.config
        w.object { w in
            w.key("name"); w.string(config.name)
            w.key("model"); w.string(config.model)
            w.key("split")
            w.array { w in
                if let compiled = route.compiled {
                    for arm in compiled.arms { writeArm(arm.target, weight: arm.weight, to: &w) }
                } else {
                    for arm in config.split { writeArm(arm.target, weight: arm.weight, to: &w) }
                }
            }
            w.key("rules")
            w.array { w in
                for rule in config.rules {
                    w.object { w in
                        w.key("match"); writeMatch(rule.conditions, to: &w)
                        writeTarget(rule.target, to: &w)
                    }
                }
            }
            w.key("sticky")
            switch config.sticky {
            case .header(let name): w.object { w in w.key("header"); w.string(name) }
            case .cookie(let name): w.object { w in w.key("cookie"); w.string(name) }
            case nil: w.null()
            }
            w.key("shadow")
            if let shadow = config.shadow {
                w.object { w in
                    writeTarget(shadow.target, to: &w)
                    w.key("percent"); w.double(shadow.percent)
                    w.key("tolerance"); w.double(shadow.tolerance)
                }
            } else {
                w.null()
            }
            w.key("canary")
            if let spec = config.canary, let canary = route.canary {
                w.object { w in
                    w.key("candidate"); w.int(spec.candidate)
                    w.key("steps"); w.array { w in for s in spec.steps { w.int(s) } }
                    w.key("interval"); w.string(RouteConfig.number(spec.interval) + "s")
                    w.key("min_requests"); w.int(spec.minRequests)
                    w.key("max_error_rate"); w.double(spec.maxErrorRate)
                    w.key("max_p99_latency_ratio"); w.double(spec.maxP99LatencyRatio)
                    w.key("on_success"); w.string(spec.onSuccess)
                    w.key("on_failure"); w.string(spec.onFailure)
                    if let analysis = spec.analysis {
                        w.key("start"); w.string(time(analysis.start))
                        w.key("analysis")
                        w.object { w in
                            w.key("prometheus"); w.string(analysis.prometheus.description)
                            if let selector = analysis.selector { w.key("selector"); w.string(selector) }
                            w.key("scrape_delay"); w.string(RouteConfig.number(analysis.scrapeDelay) + "s")
                            w.key("timeout"); w.string(RouteConfig.number(analysis.timeout) + "s")
                        }
                    }
                    w.key("state"); w.string(canary.state.rawValue)
                    w.key("step"); w.int(canary.step + 1)
                    w.key("weight"); w.int(canary.splitWeight ?? config.candidateShare)
                    if spec.analysis != nil {
                        w.key("last_boundary")
                        if let last = canary.lastBoundary { w.string(time(last)) } else { w.null() }
                        w.key("next_boundary")
                        if canary.state == .progressing { w.string(time(canary.nextBoundary)) } else { w.null() }
                    }
                    w.key("decisions")
                    w.array { w in
                        for d in canary.decisions {
                            w.object { w in
                                w.key("time"); w.string(time(d.time))
                                w.key("decision"); w.string(d.decision)
                                w.key("reason"); w.string(d.reason)
                            }
                        }
                    }
                }
            } else {
                w.null()
            }
        }
    }

    /// Seconds since 1970 as RFC 3339 UTC with milliseconds.
    private static func time(_ seconds: Double) -> String {
        WallClock.rfc3339(millisecondsSince1970: Int((seconds * 1000).rounded(.down)))
    }

    private static func writeArm(_ target: ArmTarget, weight: Int, to w: inout JSONWriter) {
        w.object { w in
            writeTarget(target, to: &w)
            w.key("weight"); w.int(weight)
        }
    }

    private static func writeTarget(_ target: ArmTarget, to w: inout JSONWriter) {
        switch target {
        case .version(let v): w.key("version"); w.int(v)
        case .label(let l): w.key("label"); w.string(l)
        }
    }

    private static func writeMatch(_ conditions: [Condition], to w: inout JSONWriter) {
        var equals: [(String, String)] = [], present: [String] = [], regex: [(String, String)] = []
        for condition in conditions {
            switch condition {
            case .equals(let name, let value): equals.append((name, value))
            case .present(let name): present.append(name)
            case .matches(let name, let pattern): regex.append((name, pattern.source))
            }
        }
        w.object { w in
            if !equals.isEmpty { w.key("header"); w.object { w in for (n, v) in equals { w.key(n); w.string(v) } } }
            if !present.isEmpty { w.key("header_present"); w.array { w in for n in present { w.string(n) } } }
            if !regex.isEmpty { w.key("header_regex"); w.object { w in for (n, v) in regex { w.key(n); w.string(v) } } }
        }
    }
}
