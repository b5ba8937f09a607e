import Foundation
import Yams

extension RouteConfig {
    static let knownKeys = ["name", "model", "split", "rules", "sticky", "shadow", "canary"]
    /// Keys `GET /v2/routes/{r}` adds to `canary:` from the controller; a `PUT` may send them
    /// back and they are ignored (the controller owns them). In a `PUT` body `state` is always
    /// the live one: a fleet canary's `state:` is set in `routes.yaml` only.
    static let liveCanaryKeys = ["state", "step", "weight", "decisions", "last_boundary", "next_boundary"]

    /// Parses a whole `routes.yaml`: `routes:` and a list of routes with distinct names. An empty
    /// document has no routes. Throws the first problem, naming the file, key path and reason.
    ///
    /// Called at start-up, by `sluice validate` and when the server re-reads its own file.
    package static func parseFile(yaml: String, file: String) throws(ConfigError) -> [RouteConfig] {
        let reader = ConfigReader(file: file)
        guard let root = try reader.compose(yaml) else { return [] }
        let keys = try reader.mapping(root, at: "", allowed: ["routes"])
        guard let list = keys["routes"] else { return [] }
        var routes: [RouteConfig] = []
        for (i, node) in try reader.sequence(list, at: "routes").enumerated() {
            let route = try parse(node, reader: reader, at: ConfigReader.index("routes", i), live: false)
            guard !routes.contains(where: { $0.name == route.name }) else {
                throw reader.fail(ConfigReader.join(ConfigReader.index("routes", i), "name"), "route '\(route.name)' is defined twice")
            }
            routes.append(route)
        }
        return routes
    }

    /// Reads and parses the routes file at `path`.
    package static func parseFile(contentsOf path: String) throws(ConfigError) -> [RouteConfig] {
        try parseFile(yaml: ConfigReader.read(path), file: path)
    }

    /// Parses one route from the body of `PUT /v2/routes/{r}` (JSON, which YAML reads as flow
    /// style, so both share one parser and one set of messages). The live keys of a `GET` answer
    /// are accepted and ignored, so a `GET`'s body can be edited and sent back.
    package static func parseBody(_ text: String, name: String) throws(ConfigError) -> RouteConfig {
        let reader = ConfigReader(file: "request body")
        guard let root = try reader.compose(text) else { throw reader.fail("", "must be a route object") }
        var route = try parse(root, reader: reader, at: "", live: true, defaultName: name)
        if route.name != name {
            throw reader.fail("name", "is '\(route.name)' but the path names route '\(name)'")
        }
        route.name = name
        return route
    }

    static func parse(_ node: Node, reader r: ConfigReader, at path: String, live: Bool, defaultName: String? = nil) throws(ConfigError) -> RouteConfig {
        let allowed = live ? knownKeys + ["live"] : knownKeys
        let keys = try r.mapping(node, at: path, allowed: allowed)
        func key(_ k: String) -> String { ConfigReader.join(path, k) }
        let name: String
        if let node = keys["name"] { name = try r.string(node, at: key("name")) } else if let defaultName { name = defaultName } else {
            throw r.fail(key("name"), "is required")
        }
        guard RepositoryScanner.isValidName(name) else {
            throw r.fail(key("name"), "must be 1-128 characters of letters, digits, '_', '.' or '-'")
        }
        guard let modelNode = keys["model"] else { throw r.fail(key("model"), "is required") }
        let model = try r.string(modelNode, at: key("model"))
        guard RepositoryScanner.isValidName(model) else {
            throw r.fail(key("model"), "must be a model name (1-128 characters of letters, digits, '_', '.' or '-')")
        }
        guard let splitNode = keys["split"] else { throw r.fail(key("split"), "is required: a list of {version|label, weight}") }
        let split = try r.split(splitNode, at: key("split"))
        let rules = try keys["rules"].map { n throws(ConfigError) in try r.rules(n, at: key("rules")) } ?? []
        let sticky = try keys["sticky"].map { n throws(ConfigError) in try r.sticky(n, at: key("sticky")) }
        let shadow = try keys["shadow"].map { n throws(ConfigError) in try r.shadow(n, at: key("shadow")) }
        let canary = try keys["canary"].map { n throws(ConfigError) in try r.canary(n, at: key("canary"), live: live) }
        if let canary, !split.contains(where: { $0.target != .version(canary.candidate) }) {
            throw r.fail(key("split"), "needs a baseline arm besides the canary's candidate (version \(canary.candidate))")
        }
        return RouteConfig(name: name, model: model, split: split, rules: rules, sticky: sticky, shadow: shadow, canary: canary)
    }
}

extension ConfigReader {
    /// `version: N` or `label: L` among `keys` (exactly one of them).
    func target(_ keys: [String: Node], at path: String) throws(ConfigError) -> ArmTarget {
        switch (keys["version"], keys["label"]) {
        case (let v?, nil):
            return .version(try positiveInt(v, at: Self.join(path, "version")))
        case (nil, let l?):
            let label = try string(l, at: Self.join(path, "label"))
            guard RepositoryScanner.isValidName(label) else { throw fail(Self.join(path, "label"), "must be a label name") }
            return .label(label)
        case (.some, .some):
            throw fail(path, "names both a version and a label; give one")
        case (nil, nil):
            throw fail(path, "needs a version or a label")
        }
    }

    func split(_ node: Node, at path: String) throws(ConfigError) -> [Arm] {
        let items = try sequence(node, at: path)
        guard !items.isEmpty else { throw fail(path, "needs at least one arm") }
        var arms: [Arm] = []
        for (i, item) in items.enumerated() {
            let at = Self.index(path, i)
            let keys = try mapping(item, at: at, allowed: ["version", "label", "weight"])
            let target = try target(keys, at: at)
            guard let w = keys["weight"] else { throw fail(Self.join(at, "weight"), "is required (an integer 0-100)") }
            let weight = try int(w, at: Self.join(at, "weight"), "must be an integer from 0 to 100")
            guard (0...100).contains(weight) else { throw fail(Self.join(at, "weight"), "must be an integer from 0 to 100") }
            guard !arms.contains(where: { $0.target == target }) else { throw fail(at, "\(target) appears twice in the split") }
            arms.append(Arm(target, weight: weight))
        }
        let sum = arms.reduce(0) { $0 + $1.weight }
        guard sum == 100 else { throw fail(path, "weights must sum to 100, they sum to \(sum)") }
        return arms
    }

    func rules(_ node: Node, at path: String) throws(ConfigError) -> [Rule] {
        var rules: [Rule] = []
        for (i, item) in try sequence(node, at: path).enumerated() {
            let at = Self.index(path, i)
            let keys = try mapping(item, at: at, allowed: ["match", "version", "label"])
            guard let match = keys["match"] else { throw fail(Self.join(at, "match"), "is required") }
            let conditions = try conditions(match, at: Self.join(at, "match"))
            rules.append(Rule(conditions: conditions, target: try target(keys, at: at)))
        }
        return rules
    }

    /// `{header: {name: value, …}, header_present: name | [names], header_regex: {name: pattern}}`;
    /// every condition given must hold.
    func conditions(_ node: Node, at path: String) throws(ConfigError) -> [Condition] {
        let keys = try mapping(node, at: path, allowed: ["header", "header_present", "header_regex"])
        var conditions: [Condition] = []
        if let n = keys["header"] {
            let at = Self.join(path, "header")
            for (name, value) in try headerPairs(n, at: at) {
                conditions.append(.equals(name: name, value: try string(value, at: Self.join(at, name))))
            }
        }
        if let n = keys["header_present"] {
            let at = Self.join(path, "header_present")
            let names: [Node] = if case .sequence(let s) = n { Array(s) } else { [n] }
            for (i, nameNode) in names.enumerated() {
                let name = try string(nameNode, at: names.count > 1 ? Self.index(at, i) : at)
                guard Self.isHeaderName(name) else { throw fail(at, "'\(name)' is not a header name") }
                conditions.append(.present(name: name.lowercased()))
            }
        }
        if let n = keys["header_regex"] {
            let at = Self.join(path, "header_regex")
            for (name, value) in try headerPairs(n, at: at) {
                let source = try string(value, at: Self.join(at, name))
                do {
                    conditions.append(.matches(name: name, pattern: try HeaderPattern(source)))
                } catch {
                    throw fail(Self.join(at, name), "is not a valid regular expression: \(Self.oneLine(error))")
                }
            }
        }
        guard !conditions.isEmpty else { throw fail(path, "needs header, header_present or header_regex") }
        return conditions
    }

    /// The entries of a `{header-name: value}` mapping, names lower-cased, in file order.
    private func headerPairs(_ node: Node, at path: String) throws(ConfigError) -> [(String, Node)] {
        guard case .mapping(let mapping) = node, !mapping.isEmpty else { throw fail(path, "must be a mapping of header name to value") }
        var pairs: [(String, Node)] = []
        for (keyNode, value) in mapping {
            let name = try string(keyNode, at: path)
            guard Self.isHeaderName(name) else { throw fail(path, "'\(name)' is not a header name") }
            pairs.append((name.lowercased(), value))
        }
        return pairs
    }

    func sticky(_ node: Node, at path: String) throws(ConfigError) -> Sticky {
        let keys = try mapping(node, at: path, allowed: ["header", "cookie"])
        switch (keys["header"], keys["cookie"]) {
        case (let h?, nil):
            let name = try string(h, at: Self.join(path, "header"))
            guard Self.isHeaderName(name) else { throw fail(Self.join(path, "header"), "'\(name)' is not a header name") }
            return .header(name.lowercased())
        case (nil, let c?):
            let name = try string(c, at: Self.join(path, "cookie"))
            guard !name.isEmpty, Self.isHeaderName(name) else { throw fail(Self.join(path, "cookie"), "'\(name)' is not a cookie name") }
            return .cookie(name)
        default:
            throw fail(path, "needs exactly one of header or cookie")
        }
    }

    func shadow(_ node: Node, at path: String) throws(ConfigError) -> Shadow {
        let keys = try mapping(node, at: path, allowed: ["version", "label", "percent", "tolerance"])
        let target = try target(keys, at: path)
        guard let p = keys["percent"] else { throw fail(Self.join(path, "percent"), "is required (0-100)") }
        let percent = try number(p, at: Self.join(path, "percent"), in: 0...100)
        let tolerance = try keys["tolerance"].map { n throws(ConfigError) in
            try number(n, at: Self.join(path, "tolerance"), in: 0...Double.greatestFiniteMagnitude)
        } ?? 1e-6
        return Shadow(target: target, percent: percent, tolerance: tolerance)
    }

    func canary(_ node: Node, at path: String, live: Bool) throws(ConfigError) -> CanarySpec {
        let spec = [
            "candidate", "steps", "interval", "min_requests", "max_error_rate", "max_p99_latency_ratio", "on_success", "on_failure",
            "start", "analysis",
        ]
        let keys = try mapping(node, at: path, allowed: live ? spec + RouteConfig.liveCanaryKeys : spec + ["state"])
        func key(_ k: String) -> String { Self.join(path, k) }
        func required(_ k: String) throws(ConfigError) -> Node {
            guard let n = keys[k] else { throw fail(key(k), "is required") }
            return n
        }
        let candidate = try positiveInt(try required("candidate"), at: key("candidate"))
        var steps: [Int] = []
        let stepNodes = try sequence(try required("steps"), at: key("steps"))
        guard !stepNodes.isEmpty else { throw fail(key("steps"), "needs at least one step") }
        for (i, n) in stepNodes.enumerated() {
            let step = try int(n, at: Self.index(key("steps"), i), "must be an integer weight from 1 to 100")
            guard (1...100).contains(step) else { throw fail(Self.index(key("steps"), i), "must be an integer weight from 1 to 100") }
            guard steps.last.map({ $0 < step }) ?? true else { throw fail(key("steps"), "must increase strictly") }
            steps.append(step)
        }
        let interval = try value(try required("interval"), at: key("interval"), as: .seconds)
        guard interval > 0 else { throw fail(key("interval"), "must be longer than 0") }
        let minRequests = try positiveInt(try required("min_requests"), at: key("min_requests"))
        let maxErrorRate = try number(try required("max_error_rate"), at: key("max_error_rate"), in: 0...1)
        let ratio = try number(try required("max_p99_latency_ratio"), at: key("max_p99_latency_ratio"), in: 0...Double.greatestFiniteMagnitude)
        guard ratio > 0 else { throw fail(key("max_p99_latency_ratio"), "must be greater than 0") }
        let onSuccess = try keys["on_success"].map { n throws(ConfigError) in try string(n, at: key("on_success")) } ?? "promote"
        guard onSuccess == "promote" else { throw fail(key("on_success"), "must be promote") }
        let onFailure = try keys["on_failure"].map { n throws(ConfigError) in try string(n, at: key("on_failure")) } ?? "rollback"
        guard onFailure == "rollback" else { throw fail(key("on_failure"), "must be rollback") }
        let analysis: CanaryAnalysis?
        if let a = keys["analysis"] {
            guard let startNode = keys["start"] else {
                throw fail(key("start"), "is required with analysis.prometheus: the time the first step began, RFC 3339 (2026-12-06T23:00:00Z) or Unix seconds, the same on every replica")
            }
            guard interval >= 1, interval == interval.rounded() else {
                throw fail(key("interval"), "must be a whole number of seconds with analysis.prometheus (the queries' ranges are whole seconds)")
            }
            var state = CanaryController.State.progressing
            if !live, let n = keys["state"] { state = try canaryState(n, at: key("state")) }
            analysis = try self.analysis(a, at: key("analysis"), start: try timestamp(startNode, at: key("start")), state: state)
        } else {
            for k in ["start", "state"] where keys[k] != nil && !(live && k == "state") {
                throw fail(key(k), "belongs to a fleet canary: it is read only with analysis.prometheus (without it, the canary is judged on this pod's own traffic and driven through the admin API)")
            }
            analysis = nil
        }
        return CanarySpec(
            candidate: candidate, steps: steps, interval: interval, minRequests: minRequests, maxErrorRate: maxErrorRate,
            maxP99LatencyRatio: ratio, onSuccess: onSuccess, onFailure: onFailure, analysis: analysis)
    }

    /// `analysis: {prometheus, selector, scrape_delay, timeout}`.
    func analysis(_ node: Node, at path: String, start: Double, state: CanaryController.State) throws(ConfigError) -> CanaryAnalysis {
        let keys = try mapping(node, at: path, allowed: ["prometheus", "selector", "scrape_delay", "timeout"])
        func key(_ k: String) -> String { Self.join(path, k) }
        guard let urlNode = keys["prometheus"] else {
            throw fail(key("prometheus"), "is required: the Prometheus server's URL, e.g. http://prometheus.monitoring:9090")
        }
        let urlText = try string(urlNode, at: key("prometheus"))
        let url: PrometheusURL
        do throws(PrometheusURL.Refusal) {
            url = try PrometheusURL(parsing: urlText)
        } catch {
            throw fail(key("prometheus"), error.description)
        }
        var selector: String?
        if let n = keys["selector"] {
            let text = try string(n, at: key("selector"))
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty, !text.contains(where: { "{}\n\r".contains($0) }),
                  text.contains("=") || text.contains("!~")
            else {
                throw fail(key("selector"), "must be label matchers without braces, e.g. 'namespace=\"prod\",job=\"sluice\"'")
            }
            selector = text
        }
        let scrapeDelay = try keys["scrape_delay"].map { n throws(ConfigError) in try value(n, at: key("scrape_delay"), as: .seconds) }
            ?? CanaryAnalysis.defaultScrapeDelay
        let timeout = try keys["timeout"].map { n throws(ConfigError) in try value(n, at: key("timeout"), as: .seconds) }
            ?? CanaryAnalysis.defaultTimeout
        guard timeout > 0, timeout <= CanaryAnalysis.maxTimeout else {
            throw fail(key("timeout"), "must be longer than 0 and at most \(Int(CanaryAnalysis.maxTimeout)) s (each query; the driver waits for it)")
        }
        guard scrapeDelay <= CanaryAnalysis.maxScrapeDelay else {
            throw fail(key("scrape_delay"), "must be at most \(Int(CanaryAnalysis.maxScrapeDelay)) s (1 h)")
        }
        return CanaryAnalysis(prometheus: url, selector: selector, scrapeDelay: scrapeDelay, timeout: timeout, start: start, state: state)
    }

    /// `progressing`, `paused`, `promoted` or `rolled_back`.
    func canaryState(_ node: Node, at path: String) throws(ConfigError) -> CanaryController.State {
        let text = try string(node, at: path)
        guard let state = CanaryController.State(rawValue: text) else {
            throw fail(path, "must be progressing, paused, promoted or rolled_back")
        }
        return state
    }

    /// An RFC 3339 time or Unix seconds (YAML may have tagged either as a timestamp or a number;
    /// the text is what counts).
    func timestamp(_ node: Node, at path: String) throws(ConfigError) -> Double {
        guard case .scalar(let scalar) = node, let seconds = Timestamps.seconds(scalar.string) else {
            throw fail(path, "must be an RFC 3339 time (2026-12-06T23:00:00Z, or with an offset: +01:00) or Unix seconds")
        }
        return seconds
    }

    /// An integer or a decimal within `range`.
    func number(_ node: Node, at path: String, in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        let requirement = "must be a number from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound))"
        guard case .scalar(let scalar) = node else { throw fail(path, requirement) }
        let tag = Resolver.default.resolveTag(of: node)
        // YAML 1.1 reads an unquoted `1e-4` as a string; a plain (unquoted) number is a number.
        let value: Double? = switch tag {
        case .int: node.int.map(Double.init)
        case .float: node.float
        case .str where scalar.style == .plain: Double(scalar.string)
        default: nil
        }
        guard let value, value.isFinite, range.contains(value) else { throw fail(path, requirement) }
        return value
    }

    /// RFC 9110 token characters.
    static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                || "!#$%&'*+-.^_`|~".utf8.contains(c)
        }
    }

    private static func format(_ x: Double) -> String {
        x == .greatestFiniteMagnitude ? "any" : x == x.rounded() ? String(Int(x)) : String(x)
    }
}
