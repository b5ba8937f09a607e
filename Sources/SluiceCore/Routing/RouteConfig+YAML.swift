import SluiceJSON

extension RouteConfig {
    /// `routes.yaml` text for `routes`, in the format `parseFile` reads (one flow mapping per
    /// arm, rule, shadow and canary, as in README "Routing and canaries"); written by the admin API's `PUT`.
    /// Comments of the file it replaces are not kept: the header says so. Strings are written
    /// as JSON strings, which YAML reads as double-quoted scalars.
    package static func yaml(_ routes: [RouteConfig]) -> String {
        var out = "# Traffic routes (README \"Routing and canaries\"). Rewritten by sluice on PUT /v2/routes/{route}; comments are not kept.\n"
        out += "routes:\n"
        if routes.isEmpty { return "# Traffic routes (README \"Routing and canaries\").\nroutes: []\n" }
        for route in routes {
            out += "  - name: \(JSONWriter.quoted(route.name))\n"
            out += "    model: \(JSONWriter.quoted(route.model))\n"
            out += "    split:\n"
            for arm in route.split { out += "      - {\(target(arm.target)), weight: \(arm.weight)}\n" }
            switch route.sticky {
            case .header(let name): out += "    sticky: {header: \(JSONWriter.quoted(name))}\n"
            case .cookie(let name): out += "    sticky: {cookie: \(JSONWriter.quoted(name))}\n"
            case nil: break
            }
            if !route.rules.isEmpty {
                out += "    rules:\n"
                for rule in route.rules { out += "      - {match: \(match(rule.conditions)), \(target(rule.target))}\n" }
            }
            if let s = route.shadow {
                out += "    shadow: {\(target(s.target)), percent: \(number(s.percent)), tolerance: \(number(s.tolerance))}\n"
            }
            if let c = route.canary {
                out += "    canary:\n"
                out += "      candidate: \(c.candidate)\n"
                out += "      steps: [\(c.steps.map(String.init).joined(separator: ", "))]\n"
                out += "      interval: \(number(c.interval))s\n"
                out += "      min_requests: \(c.minRequests)\n"
                out += "      max_error_rate: \(number(c.maxErrorRate))\n"
                out += "      max_p99_latency_ratio: \(number(c.maxP99LatencyRatio))\n"
                out += "      on_success: \(c.onSuccess)\n"
                out += "      on_failure: \(c.onFailure)\n"
                if let a = c.analysis {
                    // Unix seconds: the same instant as the RFC 3339 text it was read from.
                    out += "      start: \(number(a.start))\n"
                    if a.state != .progressing { out += "      state: \(a.state.rawValue)\n" }
                    var analysis = "prometheus: \(JSONWriter.quoted(a.prometheus.description))"
                    if let selector = a.selector { analysis += ", selector: \(JSONWriter.quoted(selector))" }
                    analysis += ", scrape_delay: \(number(a.scrapeDelay))s, timeout: \(number(a.timeout))s"
                    out += "      analysis: {\(analysis)}\n"
                }
            }
        }
        return out
    }

    private static func target(_ t: ArmTarget) -> String {
        switch t {
        case .version(let v): "version: \(v)"
        case .label(let l): "label: \(JSONWriter.quoted(l))"
        }
    }

    private static func match(_ conditions: [Condition]) -> String {
        var equals: [String] = [], present: [String] = [], regex: [String] = []
        for condition in conditions {
            switch condition {
            case .equals(let name, let value): equals.append("\(JSONWriter.quoted(name)): \(JSONWriter.quoted(value))")
            case .present(let name): present.append(JSONWriter.quoted(name))
            case .matches(let name, let pattern): regex.append("\(JSONWriter.quoted(name)): \(JSONWriter.quoted(pattern.source))")
            }
        }
        var parts: [String] = []
        if !equals.isEmpty { parts.append("header: {\(equals.joined(separator: ", "))}") }
        if !present.isEmpty { parts.append("header_present: [\(present.joined(separator: ", "))]") }
        if !regex.isEmpty { parts.append("header_regex: {\(regex.joined(separator: ", "))}") }
        return "{\(parts.joined(separator: ", "))}"
    }

    /// A number YAML reads back as the same number: integers bare, others with a decimal point
    /// (YAML 1.1 reads `1e-06` as a string).
    package static func number(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        var text = String(x)
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }), !text[..<e].contains(".") {
            text.insert(contentsOf: ".0", at: e)
        }
        return text
    }
}
