package import SluiceCore
package import SluiceHTTP
import SluiceNet

/// The one protocol-free façade of the serving core (after MLServer/KServe's DataPlane): every
/// wire protocol (V2 and V1 REST) asks it the same questions.
///
/// Called on event loops (look-ups, validation, cheap inferences) and on workers (costly
/// inferences); it holds no mutable state of its own, only the model manager's snapshots.
/// Every failure is a `ServingError`, answered through the one error contract
/// (`ServingError+HTTP.swift`). A class:
/// every inference request hands it on several times, one retain each instead of five.
package final class DataPlane: Sendable {
    package let manager: ModelManager
    /// The serving metric families, for requests that never reach a version.
    package let metrics: ServingMetrics?
    /// Whether the server is accepting traffic (false while starting and while draining).
    package let isAccepting: @Sendable () -> Bool
    /// Traffic routes (README "Routing and canaries"); nil when the server has none configured.
    package let routes: Routes?
    /// Runs routes' shadow copies; nil turns shadows off (tests of the data plane alone).
    let shadows: ShadowRunner?
    /// Runs slices of costly calls of versions with `threads_per_inference` above 1.
    let intraOp: IntraOpPool

    package convenience init(
        manager: ModelManager, metrics: ServingMetrics? = nil, routes: Routes? = nil, isAccepting: @escaping @Sendable () -> Bool
    ) {
        self.init(
            manager: manager, metrics: metrics, routes: routes, shadows: nil,
            intraOp: IntraOpPool(sliceAboveNanos: ServerConfig.Scheduling().inlineBudgetMicros * 1000), isAccepting: isAccepting)
    }

    init(
        manager: ModelManager, metrics: ServingMetrics?, routes: Routes?, shadows: ShadowRunner?, intraOp: IntraOpPool,
        isAccepting: @escaping @Sendable () -> Bool
    ) {
        self.manager = manager
        self.metrics = metrics
        self.routes = routes
        self.shadows = shadows
        self.intraOp = intraOp
        self.isAccepting = isAccepting
    }

    /// After a routed request's primary answered `primary`: copies it to the route's shadow when
    /// the route has one and this request is drawn (its `percent`). Never waits for the shadow.
    func shadow(_ request: InferenceRequest, primary: InferenceResponse, route: RouteDecision) {
        guard let shadows, route.route.drawsShadow else { return }
        shadows.submit(request, primary: primary, route: route, dataPlane: self)
    }

    /// `GET /v2/health/ready`: every model has a ready version and the server is not draining.
    package var isReady: Bool { isAccepting() && manager.snapshot.isReady }

    /// The model, or `.modelNotFound`.
    package func model(named name: Substring) throws(ServingError) -> ModelEntry {
        guard let entry = manager.snapshot.model(named: String(name)) else { throw .modelNotFound(String(name)) }
        return entry
    }

    /// The version a request runs on, for every protocol: `name` is a route or a model. A route
    /// wins over a model of the same name. Through a route, a request without a version or label
    /// goes where the route's rules or split send it (the decision says which arm); with an
    /// explicit version or label it goes to that version of the route's model, bypassing the
    /// split. `header` reads a request header by lower-case name (rules and sticky keys).
    ///
    /// Called per inference request on its event loop. Without routes this is one relaxed
    /// load more than the model look-up. Throws `.modelNotFound`, `.versionNotFound`,
    /// `.labelNotFound` for what the client named, and `.unavailable` when a route's arm points
    /// at a version that is not ready (the route's configuration, not the client, is at fault).
    package func resolve(
        name: Substring, version: Int?, label: String? = nil, header: (String) -> String?
    ) throws(ServingError) -> (servable: ServableVersion, route: RouteDecision?) {
        guard let route = routes?.route(named: name) else {
            return (try Self.pick(try model(named: name), version: version, label: label), nil)
        }
        let model = try model(named: route.config.model[...])
        if version != nil || label != nil { return (try Self.pick(model, version: version, label: label), nil) }
        let decision = route.decide(header: header)
        do throws(ServingError) {
            return (try model.servable(decision.target), decision)
        } catch {
            switch error {
            case .versionNotFound, .labelNotFound, .unavailable:
                throw .unavailable("route '\(route.name)' sent this request to \(decision.armName), which cannot serve: \(error)")
            default:
                throw error
            }
        }
    }

    private static func pick(_ model: ModelEntry, version: Int?, label: String?) throws(ServingError) -> ServableVersion {
        if let label { return try model.servable(label: label) }
        return try model.servable(version: version)
    }

    /// The model a metadata or readiness request names: a route's model (route first) or the
    /// model itself; with the route, when there is one.
    package func modelOrRoute(named name: Substring) throws(ServingError) -> (model: ModelEntry, route: CompiledRoute?) {
        if let route = routes?.route(named: name) { return (try model(named: route.config.model[...]), route) }
        return (try model(named: name), nil)
    }

    /// Records one answered inference request in the version's statistics and in
    /// `requests_total` / `request_duration_seconds` (with the route's label when a route chose
    /// the version). `judged` is nil for a request that never reached the version's checks (its
    /// body did not parse), else whether the canary counts it as an error: a 5xx, or a request
    /// the version refused. Any thread, once per request.
    package func record(
        _ servable: ServableVersion, route: RouteDecision?, protocol name: String, status: Int, nanos: Int, failed judged: Bool?
    ) {
        servable.stats.recordRequest(succeeded: status < 300, nanos: nanos)
        let seconds = Double(nanos) / 1e9
        guard let route else {
            servable.metrics?.recordRequest(protocol: name, code: status, seconds: seconds)
            return
        }
        route.route.metrics?.recordRequest(version: servable.version, protocol: name, code: status, seconds: seconds)
        if let judged { route.recordCanary(seconds: seconds, failed: judged) }
    }

    /// Adds what served the request to its answer and to its context (for the logs):
    /// `x-sluice-model-version`, and the route and arm when a route chose the version.
    package static func annotate(_ headers: inout Headers, context: RequestContext, servable: ServableVersion, route: RouteDecision?) {
        context.model = servable.modelName
        context.version = servable.version
        headers.add(lowercased: "x-sluice-model-version", servable.versionText)
        if let route {
            context.route = route.route.name
            context.arm = route.armName
            headers.add(lowercased: "x-sluice-route", route.route.name)
            headers.add(lowercased: "x-sluice-arm", route.armName)
        }
    }

    /// Parses a version path segment: a positive integer, else 400.
    package static func versionNumber(_ text: Substring?) throws(ServingError) -> Int? {
        guard let text else { return nil }
        guard let n = Int(text), n > 0 else {
            throw .invalidInput("version '\(text)' is not a positive integer")
        }
        return n
    }

    /// Checks `request` against the version's signature and orders its inputs as declared, so a
    /// backend receives exactly the inputs it expects. Runs on the loop before any scheduling,
    /// so a bad request costs no worker time.
    package func prepare(_ request: InferenceRequest, for servable: ServableVersion) throws(ServingError) -> InferenceRequest {
        let rowLimit = servable.requestRowLimit
        if Self.isInDeclaredOrder(request.inputs, servable.inputs) {
            // The usual request: nothing to reorder, so no dictionary and no copy. The checks and
            // their order are those of the general path below for the same request.
            for (tensor, spec) in zip(request.inputs, servable.inputs) {
                try Self.check(tensor, against: spec, maxBatchSize: rowLimit)
            }
            try Self.checkRequestedOutputs(request.outputs, of: servable)
            return request
        }
        var byName: [String: Tensor] = [:]
        for tensor in request.inputs {
            guard byName.updateValue(tensor, forKey: tensor.name) == nil else {
                throw .invalidInput("input '\(tensor.name)' appears more than once")
            }
        }
        var ordered: [Tensor] = []
        ordered.reserveCapacity(servable.inputs.count)
        for spec in servable.inputs {
            guard let tensor = byName.removeValue(forKey: spec.name) else {
                throw .invalidInput("missing input '\(spec.name)' (model '\(servable.modelName)' expects \(Self.describe(servable.inputs)))")
            }
            try Self.check(tensor, against: spec, maxBatchSize: rowLimit)
            ordered.append(tensor)
        }
        if let unknown = byName.keys.sorted().first {
            throw .invalidInput("unknown input '\(unknown)' (model '\(servable.modelName)' expects \(Self.describe(servable.inputs)))")
        }
        try Self.checkRequestedOutputs(request.outputs, of: servable)
        var prepared = request
        prepared.inputs = ordered
        return prepared
    }

    /// Whether `inputs` name exactly the declared inputs, in declared order, each once: then
    /// `prepare` has nothing to reorder and no duplicate, missing or unknown input to report.
    static func isInDeclaredOrder(_ inputs: [Tensor], _ specs: [TensorSpec]) -> Bool {
        guard inputs.count == specs.count else { return false }
        for i in inputs.indices {
            guard inputs[i].name == specs[i].name else { return false }
            // Should a signature ever name one input twice, the general path reports it.
            for j in 0..<i where inputs[j].name == inputs[i].name { return false }
        }
        return true
    }

    /// Refuses outputs the model does not have and outputs asked for twice, the first fault in
    /// request order. Scans rather than building sets: requests name a handful of outputs.
    static func checkRequestedOutputs(_ outputs: [RequestedOutput], of servable: ServableVersion) throws(ServingError) {
        for (i, output) in outputs.enumerated() {
            guard servable.outputs.contains(where: { $0.name == output.name }) else {
                throw .invalidInput("unknown output '\(output.name)' (model '\(servable.modelName)' has \(servable.outputs.map { "'\($0.name)'" }.joined(separator: ", ")))")
            }
            guard !outputs[..<i].contains(where: { $0.name == output.name }) else {
                throw .invalidInput("output '\(output.name)' is requested more than once")
            }
        }
    }

    /// Runs a prepared request on `servable` and records the execution in its stats (compute
    /// time, rows, `queuedNanos` of waiting for a worker). Any thread. The codec picks the
    /// outputs the client asked for (`prepare` has already checked their names).
    package func infer(_ request: InferenceRequest, on servable: ServableVersion, queuedNanos: Int = 0) throws(ServingError) -> InferenceResponse {
        var computeNanos = 0
        return try infer(request, on: servable, queuedNanos: queuedNanos, computeNanos: &computeNanos)
    }

    /// `infer`, telling the caller how long the backend ran (`computeNanos`, set whether it
    /// answered or threw), for the request's context.
    package func infer(
        _ request: InferenceRequest, on servable: ServableVersion, queuedNanos: Int, computeNanos: inout Int
    ) throws(ServingError) -> InferenceResponse {
        let start = MonotonicClock.now()
        defer {
            let nanos = Int(clamping: MonotonicClock.now() &- start)
            computeNanos = nanos
            recordExecution(servable, rows: request.inputs.first?.shape.first ?? 1, nanos: nanos, queuedNanos: queuedNanos)
        }
        let outputs = try compute(request.inputs, on: servable)
        return InferenceResponse(modelName: servable.modelName, modelVersion: servable.version, id: request.id, outputs: outputs)
    }

    /// One backend call of `servable` on `inputs`: whole, or cut into slices of rows that run at
    /// once when the version's `threads_per_inference` allows and the call is costly
    /// (`IntraOpPool`). Called by `infer` and by the batcher for a merged batch, on the thread
    /// that runs the call; either way it counts as one execution.
    func compute(_ inputs: [Tensor], on servable: ServableVersion) throws(ServingError) -> [Tensor] {
        try intraOp.run(inputs, on: servable)
    }

    /// Records one backend call of `rows` rows on `servable` that ran `nanos` in the backend,
    /// after `queuedNanos` of waiting, with `inputNanos`/`outputNanos` spent joining a merged
    /// batch's inputs and cutting its outputs: the version's statistics (`execution_count`,
    /// `batch_stats`, compute time) and its compute, queue and `batch_size` metrics. Called once
    /// per backend call, by `infer` for a request run on its own and by the batcher for a
    /// merged batch. Any thread; a few relaxed atomics (a mutex only for a size beyond the
    /// version's batch-size buckets, `BatchSizeStats`).
    package func recordExecution(
        _ servable: ServableVersion, rows: Int, nanos: Int, queuedNanos: Int = 0, inputNanos: Int = 0, outputNanos: Int = 0
    ) {
        servable.stats.recordExecution(
            rows: rows, nanos: nanos, queued: queuedNanos, wallMillis: WallClock.millisecondsSince1970(),
            inputNanos: inputNanos, outputNanos: outputNanos)
        if let metrics = servable.metrics {
            metrics.compute.observe(seconds: Double(nanos) / 1e9)
            metrics.queue.observe(seconds: Double(queuedNanos) / 1e9)
            metrics.batch.observe(Double(rows))
        }
    }

    /// Refuses a tensor whose datatype or shape the spec does not allow, or whose batch exceeds
    /// `maxBatchSize` (the config's `requestRowLimit`: under dynamic batching a larger request is
    /// accepted and runs alone).
    static func check(_ tensor: Tensor, against spec: TensorSpec, maxBatchSize: Int?) throws(ServingError) {
        let compatible = tensor.datatype == spec.datatype
            || (spec.datatype.isFloatingPoint && tensor.datatype != .bytes)
        guard compatible else {
            throw .invalidInput("input '\(spec.name)' has datatype \(tensor.datatype.rawValue), model expects \(spec.datatype.rawValue)")
        }
        guard Shape.matches(tensor.shape, declared: spec.shape) else {
            throw .invalidInput("input '\(spec.name)' has shape \(tensor.shape), model expects \(spec.shape) (-1 is any size)")
        }
        if let maxBatchSize, let batch = tensor.shape.first, spec.shape.first == -1, batch > maxBatchSize {
            throw .invalidInput("input '\(spec.name)' has a batch of \(batch) rows, more than max_batch_size \(maxBatchSize)")
        }
    }

    static func describe(_ specs: [TensorSpec]) -> String {
        specs.map { "'\($0.name)' \($0.datatype.rawValue) \($0.shape)" }.joined(separator: ", ")
    }
}
