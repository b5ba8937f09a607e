/// The version lifecycle of every model (README "Reloading") as a pure state machine: it
/// reconciles the versions each model *aspires* to (a scan plus its version policy) with what is
/// loaded, and says what to do about it. No I/O, no threads, no clock of its own: the model
/// manager feeds it events (a scan with the time it was taken, a finished load, a drained
/// version) and carries out the actions it returns. Tests drive it with made-up times.
///
/// Rules it enforces:
/// - A new aspired version is loaded once its files are settled: at once when `SHA256SUMS`
///   matches, or at start-up and on an explicit load; otherwise only when a poll at least
///   `pollInterval` after it was first seen finds the same fingerprint.
/// - A model never loses its last ready version to a reload: a ready version that leaves the
///   aspired set goes `.unloading` only once some aspired version of the model is ready, or
///   when the model folder disappeared, or when an operator unloaded the model.
/// - A version that fails to load is `.unavailable(reason)` and is tried again only when its
///   fingerprint changes (or on an explicit load).
/// - An `.unloading` version is dropped when the manager reports it drained.
///
/// Owned by `ModelManager` under its control lock, so only one thread drives it at a time.
package struct ModelLifecycle: Sendable {
    /// Why a scan happened, which decides how long a new version waits.
    package enum ScanMode: Sendable, Equatable {
        /// `loadAll()` before the listeners open: nothing is serving yet, so load at once.
        case startup
        /// The periodic poll: files without `SHA256SUMS` must be stable for one interval.
        case poll
        /// The repository API asked to load this model: no stability wait, and failed versions
        /// are retried even if their files did not change (the operator may have fixed the cause).
        case explicit
    }

    package enum Event: Sendable {
        /// A scan of the whole repository: the complete set of model folders. A model the
        /// lifecycle knows that is missing here has had its folder removed.
        case scanned([ObservedModel], mode: ScanMode, at: ContinuousClock.Instant)
        /// `POST /v2/repository/models/{m}/load`: that one model rescanned (nil: its folder is gone).
        case loadRequested(model: String, observed: ObservedModel?, at: ContinuousClock.Instant)
        /// `POST /v2/repository/models/{m}/unload`: unload until the next explicit load.
        case unloadRequested(model: String)
        /// A `.load` action finished on a loader thread.
        case loadFinished(ModelID, Result<ServableVersion, ServingError>)
        /// An `.unloading` version has no request in flight any more.
        case requestsDrained(ModelID)
    }

    package enum Action: Sendable, Equatable {
        /// Load and warm this bundle off the event loops, then report `.loadFinished`.
        case load(ModelID, VersionBundle)
        /// This version left the table: report `.requestsDrained` once its last request is done.
        case unload(ModelID)
        /// What the table shows changed: publish a new snapshot.
        case publish
    }

    /// Where one version is. `waiting` and `loading` both show as `.loading`.
    enum Phase: Sendable {
        case waiting(since: ContinuousClock.Instant)
        case loading
        case ready(ServableVersion)
        case failed(String)
        case unloading(ServableVersion)
    }

    struct VersionRecord: Sendable {
        var phase: Phase
        /// The fingerprint the current phase was decided on.
        var fingerprint: VersionFingerprint
    }

    struct ModelRecord: Sendable {
        var config = ModelConfig()
        var configError: ConfigError?
        var versions: [Int: VersionRecord] = [:]
        /// The versions the last scan aspired to (empty when gone or unloaded).
        var aspired: Set<Int> = []
        var folderExists = true
        var unloadedByOperator = false
    }

    package let pollInterval: Duration
    var models: [String: ModelRecord] = [:]
    private var hasScanned = false
    /// True once a scan was made and none of the loads it started is still running; stays true.
    package private(set) var isComplete = false

    /// - Parameter pollInterval: how long files without `SHA256SUMS` must stay unchanged.
    package init(pollInterval: Duration) {
        self.pollInterval = pollInterval
    }

    /// Applies one event; returns what to do, `.publish` last when the table changed.
    package mutating func on(_ event: Event) -> [Action] {
        var actions: [Action] = []
        var changed = false
        switch event {
        case .scanned(let observed, let mode, let now):
            hasScanned = true
            let present = Set(observed.map(\.name))
            for model in observed {
                changed = reconcile(model.name, observed: model, mode: mode, now: now, into: &actions) || changed
            }
            for name in models.keys.sorted() where !present.contains(name) {
                changed = reconcile(name, observed: nil, mode: mode, now: now, into: &actions) || changed
            }
        case .loadRequested(let name, let observed, let now):
            models[name]?.unloadedByOperator = false
            changed = reconcile(name, observed: observed, mode: .explicit, now: now, into: &actions)
        case .unloadRequested(let name):
            guard var model = models[name] else { break }
            model.unloadedByOperator = true
            model.aspired = []
            models[name] = model
            changed = retire(name, into: &actions)
        case .loadFinished(let id, let result):
            guard case .loading = models[id.name]?.versions[id.version]?.phase else { break }
            switch result {
            case .success(let servable): models[id.name]?.versions[id.version]?.phase = .ready(servable)
            case .failure(let error): models[id.name]?.versions[id.version]?.phase = .failed(error.description)
            }
            changed = true
            _ = retire(id.name, into: &actions)
        case .requestsDrained(let id):
            guard case .unloading = models[id.name]?.versions[id.version]?.phase else { break }
            models[id.name]?.versions[id.version] = nil
            changed = true
            dropIfGone(id.name)
        }
        if hasScanned && !isComplete && !isLoading { isComplete = true }
        if changed { actions.append(.publish) }
        return actions
    }

    /// Every version in memory (ready or unloading) and whether it is being let go, so the
    /// manager can tell each one (the last request of an unloading one then reports its drain).
    package var loaded: [(id: ModelID, servable: ServableVersion, isUnloading: Bool)] {
        models.keys.sorted().flatMap { name in
            models[name, default: ModelRecord()].versions.keys.sorted().compactMap { version in
                let id = ModelID(name: name, version: version)
                switch models[name]?.versions[version]?.phase {
                case .ready(let servable): return (id, servable, false)
                case .unloading(let servable): return (id, servable, true)
                default: return nil
                }
            }
        }
    }

    private var isLoading: Bool {
        models.values.contains { model in
            model.versions.values.contains { if case .loading = $0.phase { true } else { false } }
        }
    }

    /// A model whose folder is gone leaves the table with its last version.
    mutating func dropIfGone(_ name: String) {
        if let model = models[name], !model.folderExists, model.versions.isEmpty { models[name] = nil }
    }
}
