import Synchronization

/// A loaded, warmed-up model version that requests can run on.
///
/// Created by the model manager on a loader thread once a version is ready; then shared, immutable,
/// by every snapshot that lists it and by every request that runs on it. A request holds this
/// reference for its whole life, so a version taken out of the table is released only after its
/// last in-flight request (README "Model repository and bundles"); while it runs, it also holds a
/// `VersionHandle`, which is how the manager learns that an unloading version has drained. A class
/// so that holding it is one retain.
package final class ServableVersion: Sendable {
    package let modelName: String
    package let version: Int
    /// `version` in decimal, rendered once: every answer names it (`x-sluice-model-version`).
    package let versionText: String
    package let backend: any Backend
    /// The signature requests are checked against: the backend's own, which already includes
    /// any `model.yaml` override the loader applied.
    package let inputs: [TensorSpec]
    package let outputs: [TensorSpec]
    /// The backend's registered name (`xgboost`, `onnx`, …), for model metadata's `platform`.
    package let platform: String
    /// `Backend.notes`, for model metadata.
    package let notes: [String]
    /// The model file this version was loaded from, for logs and metadata.
    package let file: String
    /// The version's effective config (model-level with the version's own `model.yaml` applied);
    /// schedulers read batching settings from it.
    package let config: ModelConfig
    /// `config.queuesRequests` and `config.requestRowLimit`, read once here: every request asks,
    /// and reading them through `config` copies the whole config (its arrays and labels) first.
    package let queuesRequests: Bool
    package let requestRowLimit: Int?
    /// The most slices one call may run as (`config.threadsPerInference`, which the manager
    /// resolved at load; 1 when unset), read once here for the same reason.
    package let threadsPerInference: Int
    /// Run counts and measured cost, updated by the threads that run this version.
    package let stats: VersionStats
    /// Metric handles resolved at load; nil when the manager has no metrics (tests, validate).
    package let metrics: VersionMetrics?
    /// Handles held now (`VersionHandle.swift` keeps the rules of these three).
    let inFlight = Atomic<Int>(0)
    /// Whether the manager is letting this version go: its last handle then calls `onDrained`.
    let isUnloading = Atomic<Bool>(false)
    /// The manager's way to hear, from the releasing thread, that an unloading version drained.
    let onDrained: @Sendable () -> Void
    /// What the server attaches to the version at its first request (its request queue, for a
    /// version whose config `queuesRequests`): made once, freed with the version.
    private let attachment = Mutex<(any AnyObject & Sendable)?>(nil)

    /// The object attached to this version, made by `make` the first time. Any thread.
    package func attached<T: AnyObject & Sendable>(_ make: () -> T) -> T {
        attachment.withLock { slot in
            if let existing = slot as? T { return existing }
            let made = make()
            slot = made
            return made
        }
    }

    /// - Parameter onDrained: called when the last handle of this version is released while the
    ///   manager is letting it go; versions made outside a manager (tests) have no one to tell.
    package init(
        modelName: String, version: Int, backend: any Backend, file: String, config: ModelConfig,
        metrics: VersionMetrics? = nil, onDrained: @escaping @Sendable () -> Void = {}
    ) {
        self.metrics = metrics
        self.onDrained = onDrained
        self.modelName = modelName
        self.version = version
        versionText = String(version)
        self.backend = backend
        self.inputs = backend.inputs
        self.outputs = backend.outputs
        self.platform = backend.platform
        self.notes = backend.notes
        self.file = file
        self.config = config
        queuesRequests = config.queuesRequests
        requestRowLimit = config.requestRowLimit
        threadsPerInference = config.threadsPerInference ?? 1
        stats = VersionStats(maxBatchSize: config.maxBatchSize)
    }
}
