/// One model in a `ModelTable` snapshot: its config and its aspired versions with their states.
///
/// Built by the model manager when it publishes a snapshot; read per request (from any event
/// loop or worker thread) to pick the version a request runs on. Immutable, so reads take no lock;
/// a class, so handing one around per request is one retain, not one per field.
package final class ModelEntry: Sendable {
    package let name: String
    /// The model-level config; `ModelConfig()` when `configError` is set.
    package let config: ModelConfig
    /// Why the model's `model.yaml` was refused, if it was; every version is then unavailable
    /// with this as its reason.
    package let configError: ConfigError?
    /// The versions the manager holds, ascending: those the version policy chose, plus older
    /// ones still serving until a successor is ready or draining their last requests. Versions on
    /// disk that the policy did not choose and that are not loaded are not listed.
    package let versions: [VersionEntry]
    /// `labels:` of the config, label to version number.
    package let labels: [String: Int]
    /// An operator unloaded it through the repository API: it stays listed, serves nothing, and
    /// does not count against readiness, until an explicit load.
    package let isUnloaded: Bool

    package init(
        name: String, config: ModelConfig, configError: ConfigError? = nil, versions: [VersionEntry],
        isUnloaded: Bool = false
    ) {
        self.name = name
        self.config = config
        self.configError = configError
        self.versions = versions.sorted { $0.version < $1.version }
        self.labels = config.labels
        self.isUnloaded = isUnloaded
    }

    /// Version numbers in state `.ready`, ascending.
    package var readyVersions: [Int] { versions.filter { $0.servable != nil }.map(\.version) }

    /// The entry for one version, if the policy aspires to it.
    package func version(_ number: Int) -> VersionEntry? {
        versions.first { $0.version == number }
    }

    /// The version a request runs on. `nil` asks for the highest ready version (what a request
    /// without a version gets); a number asks for exactly that one.
    ///
    /// Throws `.versionNotFound` for a version the model does not list, `.unavailable` for one
    /// that is listed but not ready (with its reason), and `.unavailable` when `nil` finds no
    /// ready version at all.
    package func servable(version: Int?) throws(ServingError) -> ServableVersion {
        guard let number = version else {
            if let highest = versions.last(where: { $0.servable != nil })?.servable { return highest }
            throw .unavailable(noReadyVersionMessage)
        }
        guard let entry = self.version(number) else {
            throw .versionNotFound(model: name, version: number)
        }
        guard let servable = entry.servable else {
            throw .unavailable("model '\(name)' version \(number) is not ready: \(Self.reason(entry.state))")
        }
        return servable
    }

    /// The version a label points to. An unknown label is `.labelNotFound`; a label that points
    /// to a version that is not listed or not ready is `.unavailable`, because the label itself
    /// exists and the fix is on the server's side, not the client's.
    package func servable(label: String) throws(ServingError) -> ServableVersion {
        guard let number = labels[label] else { throw .labelNotFound(model: name, label: label) }
        guard let entry = self.version(number) else {
            throw .unavailable("model '\(name)' label '\(label)' points to version \(number), which is not loaded")
        }
        guard let servable = entry.servable else {
            throw .unavailable(
                "model '\(name)' label '\(label)' points to version \(number), which is not ready: \(Self.reason(entry.state))")
        }
        return servable
    }

    /// Says why, so a client's 503 carries the cause instead of sending someone to the logs.
    private var noReadyVersionMessage: String {
        let reasons = versions.map { "version \($0.version): \(Self.reason($0.state))" }
        if isUnloaded { return "model '\(name)' is unloaded" }
        if let configError { return "model '\(name)' has no ready version: \(configError)" }
        if reasons.isEmpty { return "model '\(name)' has no versions" }
        return "model '\(name)' has no ready version (\(reasons.joined(separator: "; ")))"
    }

    private static func reason(_ state: VersionState) -> String {
        switch state {
        case .unavailable(let reason): reason
        default: state.name
        }
    }
}
