/// One row of `POST /v2/repository/index`, in Triton's shape:
/// `{"name", "version", "state", "reason"}`. Built by `ModelManager.repositoryIndex()` from the
/// current snapshot.
package struct RepositoryIndexEntry: Sendable, Equatable {
    package var name: String
    /// Nil for a model row that has no version to report (unloaded, no version folders).
    package var version: Int?
    /// Triton's spelling: `READY`, `LOADING`, `UNAVAILABLE` or `UNLOADING`.
    package var state: String
    /// Empty unless the state needs explaining (why unavailable).
    package var reason: String

    package init(name: String, version: Int?, state: String, reason: String) {
        self.name = name
        self.version = version
        self.state = state
        self.reason = reason
    }
}
