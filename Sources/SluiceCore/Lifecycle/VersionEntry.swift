/// Where one model version is in its life, as model metadata and the
/// `sluice_model_version_state` metric report it.
package enum VersionState: Sendable, Equatable {
    /// Aspired and being loaded or warmed up; not yet servable.
    case loading
    /// Loaded and warmed up; requests may run on it.
    case ready
    /// Failed to load or warm up, or its folder is broken. `reason` is a sentence for logs and
    /// metadata; the version is retried only when its files change.
    case unavailable(reason: String)
    /// Being let go; in-flight requests finish on it, new ones go elsewhere.
    case unloading

    /// The state as the metric label and metadata spell it: `loading|ready|unavailable|unloading`.
    package var name: String {
        switch self {
        case .loading: "loading"
        case .ready: "ready"
        case .unavailable: "unavailable"
        case .unloading: "unloading"
        }
    }
}

/// One aspired version of a model in a `ModelTable` snapshot. Immutable: a state change is a new
/// snapshot. Read by the data plane per request and by metadata and metrics endpoints.
package struct VersionEntry: Sendable {
    package let version: Int
    package let state: VersionState
    /// Present exactly when `state == .ready`.
    package let servable: ServableVersion?

    /// A ready version: the state follows from having something to serve.
    package init(ready servable: ServableVersion) {
        self.version = servable.version
        self.state = .ready
        self.servable = servable
    }

    /// A version with nothing to serve (loading, unavailable or unloading).
    package init(version: Int, state: VersionState) {
        self.version = version
        self.state = state
        self.servable = nil
    }
}
