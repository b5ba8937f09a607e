/// A model's `model.yaml` (README "Model repository and bundles"), validated: what the scan, the
/// model manager and the schedulers need to know about a model beyond its files.
///
/// Built by `ModelConfig.parse` while the repository is scanned (off the event loops), then kept
/// immutable in the model table and read from any thread. A model folder without `model.yaml`
/// gets `ModelConfig()`: every field below documents its default.
package struct ModelConfig: Sendable, Equatable {
    /// `backend:`, a name the `BackendRegistry` has; `nil` lets the model file's name decide (README "Model repository and bundles").
    package var backend: String?
    /// `inputs:` / `outputs:`; empty means the backend's own signature.
    package var inputs: [TensorSpec]
    package var outputs: [TensorSpec]
    /// `version_policy:`; default `{latest: 1}`.
    package var versionPolicy: VersionPolicy
    /// `labels:` (`{stable: 3}`), label name to version number. Names follow the model-name rule
    /// because they appear in URLs (`/v1/models/m/labels/stable`).
    package var labels: [String: Int]
    /// `max_batch_size:`; `nil` when not declared. The most rows one backend call of a batched
    /// version holds; without `dynamic_batching` also the most rows a request may carry (400 above).
    package var maxBatchSize: Int?
    /// `dynamic_batching:`; `nil` when absent. With `max_batch_size` it makes the version batched
    /// (`isBatched`): the batcher merges concurrent requests of the same shape into one backend
    /// call of at most `max_batch_size` rows, waiting at most `max_queue_delay_us` for more, and
    /// runs a request larger than `max_batch_size` alone. Without `max_batch_size` (Triton's 0)
    /// nothing is merged.
    package var dynamicBatching: DynamicBatching?
    /// `instances:` (1…1024); `nil` when not declared: no per-version limit on backend calls
    /// running at once (the shared worker pool is the only bound). Set, at most that many run
    /// at once and the rest wait in the version's queue.
    package var instances: Int?
    /// `max_queue:` (1…1_000_000); `nil` when not declared (`queueCapacity` is then the default).
    /// Only meaningful when `queuesRequests`; the parser refuses it otherwise.
    package var maxQueue: Int?
    /// `warmup:`; default true: one synthetic request must succeed before a version is ready.
    package var warmup: Bool
    /// `threads_per_inference:` (1…64); `nil` when not declared: the server's
    /// `scheduling.threads_per_inference` then applies where the backend can slice, else 1
    /// (`ModelManager.threadsPerInference`). Above 1, a costly request (or merged batch) of
    /// several rows is cut into at most that many slices of rows that run at once, on its worker
    /// and the intra-op helpers (README "Where inference runs"). Declared above 1, it is refused
    /// at load for a backend whose rows are not independent (`Backend.slicingRefusal`). A loaded
    /// version's config holds the value it runs with (`ServableVersion.threadsPerInference`).
    package var threadsPerInference: Int?
    /// Sections named after a backend (`xgboost: {iterations: all}`), by backend name: options
    /// only that backend understands, checked against its `BackendFactory.options` at parse time.
    /// A version loaded by another backend than a section names is refused by the scanner, so
    /// no option is accepted and ignored.
    package var backendOptions: [String: [String: String]] = [:]

    package init(
        backend: String? = nil, inputs: [TensorSpec] = [], outputs: [TensorSpec] = [],
        versionPolicy: VersionPolicy = .default, labels: [String: Int] = [:], maxBatchSize: Int? = nil,
        dynamicBatching: DynamicBatching? = nil, instances: Int? = nil, maxQueue: Int? = nil, warmup: Bool = true
    ) {
        self.backend = backend
        self.inputs = inputs
        self.outputs = outputs
        self.versionPolicy = versionPolicy
        self.labels = labels
        self.maxBatchSize = maxBatchSize
        self.dynamicBatching = dynamicBatching
        self.instances = instances
        self.maxQueue = maxQueue
        self.warmup = warmup
    }

    /// `instances:` may be 1…1024: more concurrent calls of one version than that would only
    /// contend for the worker pool.
    package static let instancesRange = 1...1024
    /// `threads_per_inference:` may be 1…64: past the cores, more slices only add hand-offs.
    package static let threadsPerInferenceRange = 1...64
    /// `max_queue:` may be 1…1_000_000 requests.
    package static let maxQueueRange = 1...1_000_000
    /// The queue bound when `max_queue` is not declared.
    package static let defaultMaxQueue = 1024

    /// Whether the version's requests are merged into shared backend calls: `dynamic_batching`
    /// is present and `max_batch_size` is at least 1 (Triton's rule). A batched version's
    /// outputs must be row-aligned (checked at load).
    package var isBatched: Bool { dynamicBatching != nil && (maxBatchSize ?? 0) >= 1 }

    /// Whether requests to a version go through a per-version queue (batched, or `instances`
    /// bounds its concurrent calls); otherwise each request runs as soon as it is scheduled.
    package var queuesRequests: Bool { isBatched || instances != nil }

    /// How many requests may wait in a queued version's queue before the next is refused (503).
    package var queueCapacity: Int { maxQueue ?? Self.defaultMaxQueue }

    /// The most rows one request may carry (`DataPlane.check` refuses more with 400):
    /// `max_batch_size`, except under `dynamic_batching`, where a larger request runs alone.
    package var requestRowLimit: Int? { dynamicBatching == nil ? maxBatchSize : nil }

    /// Why a version whose file `backend` loads cannot take this config's backend sections (one
    /// names another backend), or nil. Called by the repository scanner per version folder.
    package func optionsRefusal(loadingWith backend: String) -> String? {
        guard let other = backendOptions.keys.sorted().first(where: { $0 != backend }) else { return nil }
        return "model.yaml has options for backend \(other), but this version loads with \(backend)"
    }

    /// This config with a version folder's own `model.yaml` laid over it: each key the override
    /// sets replaces the model-level one for that version only.
    package func applying(_ override: SignatureOverride) -> ModelConfig {
        var result = self
        if let backend = override.backend { result.backend = backend }
        if let inputs = override.inputs { result.inputs = inputs }
        if let outputs = override.outputs { result.outputs = outputs }
        return result
    }
}

/// `dynamic_batching:` of `model.yaml`: how long a request may wait to be batched, which batch
/// sizes the batcher aims for and whether answers keep arrival order (Triton's meaning for each).
package struct DynamicBatching: Sendable, Equatable {
    /// `max_queue_delay_us:`, default 0 (batch only what is already queued).
    package var maxQueueDelayMicroseconds: Int
    /// `preferred_batch_sizes:`, ascending, each at most `max_batch_size` when that is set.
    package var preferredBatchSizes: [Int]
    /// `preserve_ordering:`, default false: answers leave in the order their requests arrived,
    /// even when a later batch finishes first.
    package var preserveOrdering: Bool

    package init(maxQueueDelayMicroseconds: Int = 0, preferredBatchSizes: [Int] = [], preserveOrdering: Bool = false) {
        self.maxQueueDelayMicroseconds = maxQueueDelayMicroseconds
        self.preferredBatchSizes = preferredBatchSizes
        self.preserveOrdering = preserveOrdering
    }
}

/// A `model.yaml` inside a version folder (`models/m/4/model.yaml`): only the keys that describe
/// that bundle (`backend`, `inputs`, `outputs`), for a version that adds an input or changes
/// format. Model-wide keys (policy, labels, batching, warm-up) are refused there, because a
/// per-version value for them would have no single meaning.
package struct SignatureOverride: Sendable, Equatable {
    package var backend: String?
    package var inputs: [TensorSpec]?
    package var outputs: [TensorSpec]?

    package init(backend: String? = nil, inputs: [TensorSpec]? = nil, outputs: [TensorSpec]? = nil) {
        self.backend = backend
        self.inputs = inputs
        self.outputs = outputs
    }
}
