import SluiceCore
import SluiceHTTP
import Synchronization

/// `GET /metrics`: Prometheus text 0.0.4, or OpenMetrics 1.0 when the scraper's `Accept` asks
/// for it (README "Metrics"). Rendering copies the family list under a lock and reads atomics, so a
/// scrape never makes a request wait.
struct MetricsEndpoint: Sendable {
    let registry: MetricsRegistry

    func register(in endpoints: inout Endpoints) {
        endpoints.add("GET", "/metrics") { request, _, writer in
            let format = ExpositionFormat.negotiate(accept: request.headers["accept"])
            var headers = Headers()
            headers.add("content-type", format.contentType)
            writer.send(Response(status: 200, headers: headers, body: registry.render(format: format)))
        }
    }

    /// `route_weight{route,model,version}` (each version's share of its route's split now; a label
    /// arm counts for the version its label points to) and `canary_step{route}` (the step in
    /// force, 1-based; the number of steps once promoted, 0 once rolled back) and
    /// `canary_boundary_timestamp_seconds{route}` (a fleet canary's last judged boundary), read
    /// from the routes at scrape time.
    static func registerRouteCollectors(in registry: MetricsRegistry, routes: Routes, manager: ModelManager) {
        registry.collectGauge(
            name: "sluice_route_weight", help: "Each version's share of its route's traffic split now, in percent.",
            labelNames: ["route", "model", "version"]
        ) {
            let models = manager.snapshot
            return routes.snapshot.routes.flatMap { route -> [MetricSample] in
                let labels = models.model(named: route.config.model)?.labels ?? [:]
                var shares: [(Int, Int)] = []
                for arm in route.arms {
                    guard let version = arm.target.versionNumber(labels: labels) else { continue }
                    if let i = shares.firstIndex(where: { $0.0 == version }) { shares[i].1 += arm.weight } else { shares.append((version, arm.weight)) }
                }
                return shares.map { MetricSample(labelValues: [route.name, route.config.model, String($0.0)], value: Double($0.1)) }
            }
        }
        registry.collectGauge(
            name: "sluice_canary_step", help: "The canary step in force per route (1-based; the step count once promoted, 0 once rolled back).",
            labelNames: ["route"]
        ) {
            routes.liveAll().compactMap { live in
                guard let canary = live.canary else { return nil }
                let step = switch canary.state {
                case .promoted: canary.spec.steps.count
                case .rolledBack: 0
                case .progressing, .paused: canary.step + 1
                }
                return MetricSample(labelValues: [live.config.name], value: Double(step))
            }
        }
        registry.collectGauge(
            name: "sluice_canary_boundary_timestamp_seconds",
            help: "The last step boundary a fleet canary judged (analysis.prometheus), in Unix seconds; the same on every replica that agrees.",
            labelNames: ["route"]
        ) {
            routes.liveAll().compactMap { live in
                live.canary?.lastBoundary.map { MetricSample(labelValues: [live.config.name], value: $0) }
            }
        }
    }

    /// Metrics read at scrape time from the model table and the HTTP layer's counters (the lower
    /// layers keep plain atomics and carry no metrics code: docs/architecture.md).
    static func registerCollectors(in registry: MetricsRegistry, manager: ModelManager, http: HTTPStats) {
        ProcessMetrics.register(in: registry)
        registry.collectGauge(
            name: "sluice_inflight_requests", help: "Inference requests running now, by model and version.",
            labelNames: ["model", "version"]
        ) {
            manager.snapshot.models.flatMap { model in
                model.versions.compactMap { entry in
                    entry.servable.map { MetricSample(labelValues: [model.name, String(entry.version)], value: Double($0.inFlightRequests)) }
                }
            }
        }
        registry.collectGauge(
            name: "sluice_model_version_state", help: "1 for the state each model version is in, 0 for the others.",
            labelNames: ["model", "version", "state"]
        ) {
            let states = ["loading", "ready", "unavailable", "unloading"]
            return manager.snapshot.models.flatMap { model in
                model.versions.flatMap { entry in
                    states.map { state in
                        MetricSample(labelValues: [model.name, String(entry.version), state], value: entry.state.name == state ? 1 : 0)
                    }
                }
            }
        }
        registry.collectGauge(
            name: "sluice_connections_open", help: "Client connections open now, by protocol.", labelNames: ["protocol"]
        ) {
            // Cleartext: http1, or h2 (prior knowledge or Upgrade: h2c). TLS: tls-handshake until
            // ALPN has chosen, then http1-tls or h2-tls. Read the parts before the total, so a
            // connection that changes between the reads is counted once, as http1.
            let h2 = http.http2ConnectionsOpen.load(ordering: .relaxed)
            let h2TLS = http.http2TLSConnectionsOpen.load(ordering: .relaxed)
            let tls = http.tlsConnectionsOpen.load(ordering: .relaxed)
            let handshaking = http.tlsHandshakesInProgress.load(ordering: .relaxed)
            let all = http.connectionsOpen.load(ordering: .relaxed)
            let h2c = max(0, h2 - h2TLS)
            return [MetricSample(labelValues: ["http1"], value: Double(max(0, all - tls - handshaking - h2c))),
                    MetricSample(labelValues: ["http1-tls"], value: Double(max(0, tls - h2TLS))),
                    MetricSample(labelValues: ["h2"], value: Double(h2c)),
                    MetricSample(labelValues: ["h2-tls"], value: Double(h2TLS)),
                    MetricSample(labelValues: ["tls-handshake"], value: Double(handshaking))]
        }
        registry.collectCounter(
            name: "sluice_http2_streams_total", help: "Requests received over HTTP/2 (one stream each)."
        ) {
            [MetricSample(labelValues: [], value: Double(http.http2Streams.load(ordering: .relaxed)))]
        }
        registry.collectCounter(
            name: "sluice_tls_handshake_failures_total",
            help: "TLS handshakes that failed or timed out (bad version, certificate or bytes).", labelNames: []
        ) {
            [MetricSample(labelValues: [], value: Double(http.tlsHandshakeFailures.load(ordering: .relaxed)))]
        }
        registry.collectCounter(
            name: "sluice_http_errors_total", help: "Responses with a 4xx or 5xx status, from the HTTP layer and the application.",
            labelNames: ["code"]
        ) {
            http.errorCounts.map { MetricSample(labelValues: [String($0.status)], value: Double($0.count)) }
        }
    }
}
