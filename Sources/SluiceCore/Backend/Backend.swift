/// A loaded model version that can run inferences.
///
/// Created once per version by a `BackendLoader` off the event loops; then called concurrently
/// from event-loop threads (cheap models run inline) or worker threads, so an implementation is
/// immutable after load or guards its own state. `infer` must not block on I/O.
package protocol Backend: Sendable {
    /// The name its `BackendFactory` is registered under (`xgboost`, `onnx`, …), for model
    /// metadata's `platform`.
    var platform: String { get }
    /// The inputs and outputs a request may use, with -1 for the batch dimension.
    var inputs: [TensorSpec] { get }
    var outputs: [TensorSpec] { get }
    /// Runs one request. `inputs` have been matched by name against `inputs` and their shapes
    /// checked by the caller; a backend still validates what only it knows (feature counts).
    /// Throws `ServingError.invalidInput` for a request it cannot run, `.backendFailure` otherwise.
    func infer(_ inputs: [Tensor]) throws(ServingError) -> [Tensor]
    /// Whether every output has one row per input row, in input order (row i of an output
    /// depends only on row i of the inputs), so a merged batch's outputs can be cut back into
    /// each request's rows. A batched version (`ModelConfig.isBatched`) of a backend that says
    /// false is refused at load. Default true: each row of a tree ensemble is its own prediction.
    var batchesRows: Bool { get }
    /// What the backend changed about the model file as it loaded it, one sentence each (an
    /// ONNX ZipMap served as its probabilities tensor): logged when the version is ready and
    /// answered in the model's metadata. Default none.
    var notes: [String] { get }
}

extension Backend {
    package var batchesRows: Bool { true }
    package var notes: [String] { [] }

    /// Why this backend cannot serve a batched version (`ModelConfig.isBatched`), or nil when
    /// it can: every output's first dimension must be the batch (-1; a classifier's `label`
    /// [-1] counts) and the backend must batch rows. Called by the model manager as a version
    /// loads.
    package var batchingRefusal: String? { rowsRefusal(for: "dynamic_batching", verb: "batch") }

    /// Why this backend cannot run a request as slices of its rows (`threads_per_inference`
    /// above 1), or nil when it can: what batching needs, and every input's first dimension the
    /// batch too, so that cutting the inputs along it cuts only rows. Called by the model
    /// manager as a version loads.
    package var slicingRefusal: String? {
        if let input = inputs.first(where: { $0.shape.first != -1 }) {
            return "threads_per_inference needs inputs whose first dimension is the batch: input '\(input.name)' has shape \(input.shape)"
        }
        return rowsRefusal(for: "threads_per_inference", verb: "slice")
    }

    /// Why outputs of this backend cannot be cut into rows, for the `key` that needs them to
    /// (`verb` says what it would do).
    private func rowsRefusal(for key: String, verb: String) -> String? {
        if let output = outputs.first(where: { $0.shape.first != -1 }) {
            return "\(key) needs outputs whose first dimension is the batch: output '\(output.name)' has shape \(output.shape)"
        }
        guard batchesRows else {
            return "backend '\(platform)' cannot \(verb) this model: its outputs do not have one row per input row"
        }
        return nil
    }
}

/// What a loader needs to build a backend from one version folder.
package struct BackendLoadRequest: Sendable {
    /// The model file to load (absolute path).
    package var file: String
    /// The registered backend to build it with (`BackendRegistry`): `model.yaml`'s `backend:`,
    /// or the one whose file name the folder holds.
    package var backend: String
    /// Signature overrides from `model.yaml`; empty means the backend's defaults.
    package var inputs: [TensorSpec]
    package var outputs: [TensorSpec]
    /// What the server lets any model compute (`limits.*` keys); set by `BackendRegistry.loader`.
    package var limits: ModelLimits
    /// `model.yaml`'s section named after this backend (`xgboost: {iterations: all}`), checked
    /// by the parser against `BackendFactory.options`; empty means every option's default.
    package var options: [String: String]

    package init(
        file: String, backend: String, inputs: [TensorSpec] = [], outputs: [TensorSpec] = [],
        limits: ModelLimits = ModelLimits(), options: [String: String] = [:]
    ) {
        self.file = file
        self.backend = backend
        self.inputs = inputs
        self.outputs = outputs
        self.limits = limits
        self.options = options
    }
}

/// Sizes no model may exceed, whatever its file or a request asks for: a model file or a
/// request of a few bytes must not make the server allocate gigabytes or overflow a size.
/// Carried to every backend by its load request.
package struct ModelLimits: Sendable, Equatable {
    /// `limits.max_model_tensor_elements`: the most elements one tensor of a model may have,
    /// whether stored in the file, sent in a request or computed (an intermediate of an ONNX
    /// graph). 2^26 is 256 MiB as FP32: four times the largest FP32 input the default 64 MiB
    /// body can carry, and room for a CNN's widest activation at batch 32 (ResNet's stem,
    /// 32×64×112×112 = 25.7 M); operators raise it for larger batches.
    package var maxTensorElements = 1 << 26

    /// `limits.max_idle_workspace_bytes`: what an ONNX model version keeps between requests, in
    /// all its idle workspaces (the intermediates of its graph). 256 MiB holds what a CNN or an
    /// encoder layer makes at batch 32 (a MobileNet block's 77 MB, a ResNet block's ~100 MB), so
    /// a stream of such requests reuses its buffers instead of asking the kernel for fresh,
    /// zeroed pages on every request (40 % of such a request's time); a request that needed more
    /// frees what it made as it ends. 0 keeps nothing.
    package var maxIdleWorkspaceBytes = 256 << 20

    /// What `maxTensorElements` may be set to. The ceiling, 2^30 (4 GiB as FP32), keeps every
    /// product of two bounded sizes (a dimension times a stride, a window times a dimension)
    /// far below `Int.max`, and every matrix dimension within BLAS's 32-bit integers.
    package static let maxTensorElementsRange = 1...(1 << 30)

    package init() {}

    /// The sentence that refuses `shape`, for load failures and 400s: "shape [0, 4611686018427387904, 4]
    /// is beyond the 67108864 elements a tensor may have (limits.max_model_tensor_elements)".
    package func beyond(_ shape: [Int]) -> String {
        "shape \(shape) is beyond the \(maxTensorElements) elements a tensor may have (limits.max_model_tensor_elements)"
    }
}

/// Builds a backend from a model file (`BackendRegistry.load` in a server); injected into the
/// model manager so the core does not import the backends. Called on a loader thread, never on an event loop.
/// Throws `ServingError.loadFailure` with a reason a user can act on.
package typealias BackendLoader = @Sendable (BackendLoadRequest) throws(ServingError) -> any Backend
