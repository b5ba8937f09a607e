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

    package init(file: String, backend: String, inputs: [TensorSpec] = [], outputs: [TensorSpec] = []) {
        self.file = file
        self.backend = backend
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// Builds a backend from a model file (`BackendRegistry.load` in a server); injected into the
/// model manager so the core does not import the backends. Called on a loader thread, never on an event loop.
/// Throws `ServingError.loadFailure` with a reason a user can act on.
package typealias BackendLoader = @Sendable (BackendLoadRequest) throws(ServingError) -> any Backend
