/// What `ModelLifecycle` shows: the snapshot the data plane reads.
extension ModelLifecycle {
    /// The table to publish. Every version the lifecycle holds is listed (the aspired ones, and
    /// older ones still serving or draining), with `waiting` shown as `.loading`.
    package var table: ModelTable {
        let entries = models.map { name, model in
            let versions = model.versions.map { version, record in
                switch record.phase {
                case .waiting, .loading: VersionEntry(version: version, state: .loading)
                case .ready(let servable): VersionEntry(ready: servable)
                case .failed(let reason): VersionEntry(version: version, state: .unavailable(reason: reason))
                case .unloading: VersionEntry(version: version, state: .unloading)
                }
            }
            return ModelEntry(
                name: name, config: model.config, configError: model.configError, versions: versions,
                isUnloaded: model.unloadedByOperator)
        }
        return ModelTable(models: entries, isComplete: isComplete)
    }
}
