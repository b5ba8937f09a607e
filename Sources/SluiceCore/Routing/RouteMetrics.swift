/// The traffic families of README "Metrics" that requests and the canary driver count into:
/// `canary_decisions_total{route,decision}`, `canary_analysis_failures_total{route}`,
/// `shadow_requests_total{route,model,version,result}`
/// and `shadow_mismatches_total{route,model,version}`. (`route_weight` and `canary_step` are
/// read from the route table at scrape time; `requests_total` and `request_duration_seconds`
/// are the serving families, with `route` filled.) Also the reloads of the routes file:
/// `config_reloads_total{file,result}` and `config_last_reload_successful{file}`, with
/// `file="routes"`. Registered once per server.
package final class RoutingMetrics: Sendable {
    package let serving: ServingMetrics
    package let canaryDecisions: CounterFamily
    package let canaryAnalysisFailures: CounterFamily
    package let shadowRequests: CounterFamily
    package let shadowMismatches: CounterFamily
    package let configReloads: CounterFamily
    package let configLastReloadSuccessful: GaugeFamily

    package init(serving: ServingMetrics) {
        self.serving = serving
        let registry = serving.registry
        canaryDecisions = registry.counter(
            name: "sluice_canary_decisions_total",
            help: "Canary controller decisions, by route and decision (started, advanced, promoted, rolled_back, paused, resumed).",
            labelNames: ["route", "decision"])
        canaryAnalysisFailures = registry.counter(
            name: "sluice_canary_analysis_failures_total",
            help: "Fleet canary boundaries that could not be judged on a tick (Prometheus unreachable, slow, or answering an error); the canary holds its step.",
            labelNames: ["route"])
        shadowRequests = registry.counter(
            name: "sluice_shadow_requests_total",
            help: "Requests copied to a route's shadow, by result: compared, failed (the shadow errored) or dropped (its queue was full).",
            labelNames: ["route", "model", "version", "result"])
        shadowMismatches = registry.counter(
            name: "sluice_shadow_mismatches_total",
            help: "Shadow answers that differed from the primary's beyond the route's tolerance.",
            labelNames: ["route", "model", "version"])
        configReloads = registry.counter(
            name: "sluice_config_reloads_total",
            help: "Changes of a configuration file seen at run time, by file (routes) and result: success (in force) or failure (refused or unreadable; the previous configuration stays).",
            labelNames: ["file", "result"])
        configLastReloadSuccessful = registry.gauge(
            name: "sluice_config_last_reload_successful",
            help: "1 when the file's last load (at start-up or since) is in force, 0 when the last change was refused or the file became unreadable.",
            labelNames: ["file"])
    }
}

/// One compiled route's metric handles, resolved when the route is compiled for every version it
/// names (and the versions its labels pointed to then), so a routed request bumps atomics only.
/// A version reached through a label that moved since is resolved on first use (one lock).
package final class RouteMetrics: Sendable {
    private let families: RoutingMetrics
    private let route: String
    private let model: String
    private let versions: [(version: Int, handles: Handles)]

    /// The handles of one (route, version).
    final class Handles: Sendable {
        let duration: Histogram
        /// `requests_total` for the protocols and codes inference answers most.
        let common: [(protocol: String, code: Int, counter: Counter)]

        init(_ serving: ServingMetrics, route: String, model: String, version: String) {
            duration = serving.requestDuration.handle(labels: [route, model, version])
            common = ["v2", "v1"].flatMap { name in
                [200, 400, 500, 503].map { code in
                    (name, code, serving.requests.handle(labels: [route, model, version, name, String(code)]))
                }
            }
        }
    }

    init(_ families: RoutingMetrics, route: String, model: String, versions: [Int]) {
        self.families = families
        self.route = route
        self.model = model
        var seen: [(Int, Handles)] = []
        for v in versions where !seen.contains(where: { $0.0 == v }) {
            seen.append((v, Handles(families.serving, route: route, model: model, version: String(v))))
        }
        self.versions = seen
    }

    /// Records one answered request of this route on `version`. Any thread.
    package func recordRequest(version: Int, protocol name: String, code: Int, seconds: Double) {
        guard let handles = versions.first(where: { $0.version == version })?.handles else {
            let v = String(version)
            families.serving.requestDuration.handle(labels: [route, model, v]).observe(seconds: seconds)
            families.serving.requests.handle(labels: [route, model, v, name, String(code)]).increment()
            return
        }
        handles.duration.observe(seconds: seconds)
        if let hit = handles.common.first(where: { $0.code == code && $0.protocol == name }) {
            hit.counter.increment()
        } else {
            families.serving.requests.handle(labels: [route, model, String(version), name, String(code)]).increment()
        }
    }

    /// Counts one shadow copy's result (`compared`, `failed`, `dropped`), and a mismatch.
    package func recordShadow(version: Int?, result: String, mismatch: Bool = false) {
        let v = version.map(String.init) ?? ""
        families.shadowRequests.handle(labels: [route, model, v, result]).increment()
        if mismatch { families.shadowMismatches.handle(labels: [route, model, v]).increment() }
    }
}
