package import SluiceCore
import SluiceNet

/// The one protocol-free façade of the serving core (after MLServer/KServe's DataPlane): every
/// wire protocol — V2 REST today, gRPC and V1 later — asks it the same questions.
///
/// Called on event loops (look-ups, validation, cheap inferences) and on workers (costly
/// inferences); it holds no mutable state of its own, only the model manager's snapshots.
/// Every failure is a `ServingError`, turned into a status by `ErrorResponse` alone.
package struct DataPlane: Sendable {
    package let manager: ModelManager
    /// The serving metric families, for requests that never reach a version.
    package let metrics: ServingMetrics?
    /// Whether the server is accepting traffic (false while starting and while draining).
    package let isAccepting: @Sendable () -> Bool

    package init(manager: ModelManager, metrics: ServingMetrics? = nil, isAccepting: @escaping @Sendable () -> Bool) {
        self.manager = manager
        self.metrics = metrics
        self.isAccepting = isAccepting
    }

    /// `GET /v2/health/ready`: every model has a ready version and the server is not draining.
    package var isReady: Bool { isAccepting() && manager.snapshot.isReady }

    /// The model, or `.modelNotFound`.
    package func model(named name: Substring) throws(ServingError) -> ModelEntry {
        guard let entry = manager.snapshot.model(named: String(name)) else { throw .modelNotFound(String(name)) }
        return entry
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
        if Self.isInDeclaredOrder(request.inputs, servable.inputs) {
            // The usual request: nothing to reorder, so no dictionary and no copy. The checks and
            // their order are those of the general path below for the same request.
            for (tensor, spec) in zip(request.inputs, servable.inputs) {
                try Self.check(tensor, against: spec, maxBatchSize: servable.config.maxBatchSize)
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
            try Self.check(tensor, against: spec, maxBatchSize: servable.config.maxBatchSize)
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
        let start = MonotonicClock.now()
        defer {
            let rows = request.inputs.first?.shape.first ?? 1
            let nanos = Int(clamping: MonotonicClock.now() &- start)
            servable.stats.recordExecution(rows: rows, nanos: nanos, queued: queuedNanos, wallMillis: WallClock.millisecondsSince1970())
            if let metrics = servable.metrics {
                metrics.compute.observe(seconds: Double(nanos) / 1e9)
                metrics.queue.observe(seconds: Double(queuedNanos) / 1e9)
                metrics.batch.observe(Double(rows))
            }
        }
        let outputs = try servable.backend.infer(request.inputs)
        return InferenceResponse(modelName: servable.modelName, modelVersion: servable.version, id: request.id, outputs: outputs)
    }

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
