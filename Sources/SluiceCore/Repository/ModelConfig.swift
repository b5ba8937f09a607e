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
    /// `max_batch_size:`; `nil` when not declared (the scheduler does not batch).
    package var maxBatchSize: Int?
    /// `dynamic_batching:`; `nil` when absent. Parsed and validated (so a bundle written for
    /// Triton loads), but no scheduler reads it yet: every request runs as its own batch.
    package var dynamicBatching: DynamicBatching?
    /// `warmup:`; default true: one synthetic request must succeed before a version is ready.
    package var warmup: Bool

    package init(
        backend: String? = nil, inputs: [TensorSpec] = [], outputs: [TensorSpec] = [],
        versionPolicy: VersionPolicy = .default, labels: [String: Int] = [:], maxBatchSize: Int? = nil,
        dynamicBatching: DynamicBatching? = nil, warmup: Bool = true
    ) {
        self.backend = backend
        self.inputs = inputs
        self.outputs = outputs
        self.versionPolicy = versionPolicy
        self.labels = labels
        self.maxBatchSize = maxBatchSize
        self.dynamicBatching = dynamicBatching
        self.warmup = warmup
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

/// `dynamic_batching:` of `model.yaml`: how long a request may wait to be batched, and which
/// batch sizes the scheduler should aim for. Read by the (future) dynamic batcher at load time.
package struct DynamicBatching: Sendable, Equatable {
    /// `max_queue_delay_us:`, default 0 (batch only what is already queued).
    package var maxQueueDelayMicroseconds: Int
    /// `preferred_batch_sizes:`, ascending, each at most `max_batch_size` when that is set.
    package var preferredBatchSizes: [Int]

    package init(maxQueueDelayMicroseconds: Int = 0, preferredBatchSizes: [Int] = []) {
        self.maxQueueDelayMicroseconds = maxQueueDelayMicroseconds
        self.preferredBatchSizes = preferredBatchSizes
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
