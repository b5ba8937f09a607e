extension RouteConfig {
    /// `routes.yaml` text for `routes`, in the format `parseFile` reads (one flow mapping per
    /// arm, rule, shadow and canary, as in DESIGN §4); written by the admin API's `PUT`.
    /// Comments of the file it replaces are not kept: the header says so.
    package static func yaml(_ routes: [RouteConfig]) -> String {
        var out = "# Traffic routes (DESIGN §4). Rewritten by sluice on PUT /v2/routes/{route}; comments are not kept.\n"
        out += "routes:\n"
        if routes.isEmpty { return "# Traffic routes (DESIGN §4).\nroutes: []\n" }
        for route in routes {
            out += "  - name: \(quote(route.name))\n"
            out += "    model: \(quote(route.model))\n"
            out += "    split:\n"
            for arm in route.split { out += "      - {\(target(arm.target)), weight: \(arm.weight)}\n" }
            switch route.sticky {
            case .header(let name): out += "    sticky: {header: \(quote(name))}\n"
            case .cookie(let name): out += "    sticky: {cookie: \(quote(name))}\n"
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
            }
        }
        return out
    }

    private static func target(_ t: ArmTarget) -> String {
        switch t {
        case .version(let v): "version: \(v)"
        case .label(let l): "label: \(quote(l))"
        }
    }

    private static func match(_ conditions: [Condition]) -> String {
        var equals: [String] = [], present: [String] = [], regex: [String] = []
        for condition in conditions {
            switch condition {
            case .equals(let name, let value): equals.append("\(quote(name)): \(quote(value))")
            case .present(let name): present.append(quote(name))
            case .matches(let name, let pattern): regex.append("\(quote(name)): \(quote(pattern.source))")
            }
        }
        var parts: [String] = []
        if !equals.isEmpty { parts.append("header: {\(equals.joined(separator: ", "))}") }
        if !present.isEmpty { parts.append("header_present: [\(present.joined(separator: ", "))]") }
        if !regex.isEmpty { parts.append("header_regex: {\(regex.joined(separator: ", "))}") }
        return "{\(parts.joined(separator: ", "))}"
    }

    /// A YAML double-quoted scalar (JSON's escapes are YAML's).
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
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
