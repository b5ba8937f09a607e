/// An immutable snapshot of every model the server knows and which of their versions can serve.
///
/// Published by `ModelManager` in one swap; read per request by the data plane, from many
/// threads at once, via `ModelManager.snapshot`. A request uses one snapshot for its whole life,
/// so it never sees half of a reload. Copying it is a few retains.
package struct ModelTable: Sendable {
    /// Every model of the repository (valid name), sorted by name.
    package let models: [ModelEntry]
    /// False until the manager's first complete load has been published (the empty table at
    /// start and the table of `.loading` versions during start-up are not complete).
    package let isComplete: Bool
    private let indexByName: [String: Int]

    package init(models: [ModelEntry], isComplete: Bool) {
        self.models = models.sorted { $0.name < $1.name }
        self.isComplete = isComplete
        var index: [String: Int] = [:]
        for (i, model) in self.models.enumerated() { index[model.name] = i }
        self.indexByName = index
    }

    /// The table before anything was loaded: no models, not ready.
    package static let empty = ModelTable(models: [], isComplete: false)

    /// The model with that exact name, or nil (the caller answers `.modelNotFound`).
    package func model(named name: String) -> ModelEntry? {
        indexByName[name].map { models[$0] }
    }

    /// What `GET /v2/health/ready` answers: the start-up load has completed and every model in
    /// the repository has at least one version in state `.ready`. A model whose every version
    /// failed (or whose folder has no versions, or whose `model.yaml` is broken) keeps the server
    /// not ready, as Triton's strict readiness does: a replica missing a model should not get
    /// traffic. An empty repository is ready once loaded (there is nothing to wait for). A model an
    /// operator unloaded does not count: they asked for it to be gone.
    package var isReady: Bool {
        isComplete && models.allSatisfy { model in model.isUnloaded || model.versions.contains { $0.servable != nil } }
    }
}
