/// The serving metric families of README "Metrics", registered once per server in its registry.
/// Created at start-up; handles for a loaded version are resolved once, in `VersionMetrics`,
/// so the per-request path never looks a label set up.
package final class ServingMetrics: Sendable {
    package let registry: MetricsRegistry
    package let requests: CounterFamily
    package let requestDuration: HistogramFamily
    package let queueDuration: HistogramFamily
    package let computeDuration: HistogramFamily
    package let batchSize: HistogramFamily
    package let loadDuration: HistogramFamily
    package let loadFailures: CounterFamily

    package init(registry: MetricsRegistry) {
        self.registry = registry
        requests = registry.counter(
            name: "sluice_requests_total", help: "Inference requests answered, by route, model, version, protocol and status code.",
            labelNames: ["route", "model", "version", "protocol", "code"])
        requestDuration = registry.histogram(
            name: "sluice_request_duration_seconds", help: "Whole inference request, from its parsed head to its encoded answer.",
            labelNames: ["route", "model", "version"])
        queueDuration = registry.histogram(
            name: "sluice_queue_duration_seconds", help: "Time an inference waited for a worker (0 when it ran inline).",
            labelNames: ["model", "version"])
        computeDuration = registry.histogram(
            name: "sluice_compute_duration_seconds", help: "Time the backend spent on one inference.",
            labelNames: ["model", "version"])
        batchSize = registry.histogram(
            name: "sluice_batch_size", help: "Rows per backend execution.", labelNames: ["model", "version"],
            buckets: Buckets.batchSize)
        loadDuration = registry.histogram(
            name: "sluice_model_load_duration_seconds", help: "Time to load and warm a model version.",
            labelNames: ["model"], buckets: Buckets.exponential(start: 0.001, factor: 4, count: 9))
        loadFailures = registry.counter(
            name: "sluice_model_load_failures_total", help: "Model versions that failed to load.", labelNames: ["model"])
    }

    /// Drops the series of a version that is gone (unloaded, or replaced by a newer one), so
    /// `/metrics` does not grow with every reload: about 80 series a version. Called by the model
    /// manager as it lets the version go; a later load of the same version starts its series
    /// from zero, which scrapers read as a counter reset. Series a route records for the version
    /// stay: routes keep their handles for as long as they name it, and their number is bounded
    /// by the routes file.
    package func forget(model: String, version: Int) {
        let version = (name: "version", value: String(version))
        let model = (name: "model", value: model)
        for family in [requests, requestDuration] as [any ForgettableFamily] {
            family.remove(matching: [(name: "route", value: ""), model, version])
        }
        for family in [queueDuration, computeDuration, batchSize] as [any ForgettableFamily] {
            family.remove(matching: [model, version])
        }
    }

    /// Counts an inference request that never reached a version (unknown model, bad version
    /// path). `model` must be a name the repository knows, or empty: never a client's string.
    package func countUnresolved(model: String, protocol name: String, code: Int) {
        requests.handle(labels: ["", model, "", name, String(code)]).increment()
    }
}

/// One loaded version's metric handles, resolved when it loads. Shared by every thread that
/// serves the version; every operation is a relaxed atomic update.
package final class VersionMetrics: Sendable {
    private let metrics: ServingMetrics
    private let model: String
    private let version: String
    private let duration: Histogram
    package let queue: Histogram
    package let compute: Histogram
    package let batch: Histogram
    /// `requests_total` handles of the V2 and gRPC protocols for the codes inference answers
    /// most: no label look-up for them per request.
    private let common: [(protocol: String, code: Int, counter: Counter)]

    package init(_ metrics: ServingMetrics, model: String, version: Int) {
        self.metrics = metrics
        self.model = model
        let version = String(version)
        self.version = version
        duration = metrics.requestDuration.handle(labels: ["", model, version])
        queue = metrics.queueDuration.handle(labels: [model, version])
        compute = metrics.computeDuration.handle(labels: [model, version])
        batch = metrics.batchSize.handle(labels: [model, version])
        common = ["v2", "grpc"].flatMap { name in
            [200, 400, 500, 503].map { (name, $0, metrics.requests.handle(labels: ["", model, version, name, String($0)])) }
        }
    }

    /// Records one answered request: its code and its whole duration.
    package func recordRequest(protocol name: String, code: Int, seconds: Double) {
        duration.observe(seconds: seconds)
        if let hit = common.first(where: { $0.code == code && $0.protocol == name }) {
            hit.counter.increment()
        } else {
            metrics.requests.handle(labels: ["", model, version, name, String(code)]).increment()
        }
    }
}

/// A family whose series can be dropped by label values, whatever its handle type.
protocol ForgettableFamily {
    func remove(matching labels: [(name: String, value: String)])
}

extension MetricFamily: ForgettableFamily {}
