import Dispatch
import Synchronization

/// Loads the models a source offers, keeps them in step with it, and publishes what can serve: the
/// *manager* of TF Serving's source → manager → loader split (README "Model repository and
/// bundles"), with the injected `ModelSource` (a `RepositoryScanner` in a server) as the source,
/// `ModelLifecycle` as the rules and the injected `BackendLoader` (the `BackendRegistry`'s) as the
/// loader.
///
/// The server creates one at start-up and calls `loadAll()` once before the listeners accept,
/// then `poll()` every `poll_interval` from a background thread it owns; the repository API calls
/// `load(model:)`, `unload(model:)` and `repositoryIndex()` from request handlers, which must
/// run them off the event loops (they block on file I/O and loads). Those control calls take
/// turns under one lock; `snapshot` never waits for them: it copies the last published table,
/// which is swapped whole, so a request never sees half of a reload and never waits on a load.
package final class ModelManager: Sendable {
    let source: any ModelSource
    let loader: BackendLoader
    let log: @Sendable (LogLevel, String) -> Void
    /// Serving metrics: load durations and failures, and each loaded version's handles.
    let metrics: ServingMetrics?
    /// The server's `scheduling.threads_per_inference`: what a version whose `model.yaml` does
    /// not set `threads_per_inference` runs with, where its backend can slice.
    let defaultThreadsPerInference: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let table = Mutex(ModelTable.empty)
    /// Held for a whole control operation (scan, loads, publish), so they never interleave.
    let control: Mutex<Control>

    struct Control: Sendable {
        var lifecycle: ModelLifecycle
        /// Checksum verdicts by version folder, reused while the fingerprint is unchanged.
        var checksums: [String: (VersionFingerprint, ChecksumStatus)] = [:]
        /// Findings of the previous poll, so a poll logs only what is new.
        var findings: Set<String> = []
    }

    /// - Parameters:
    ///   - source: says which models and versions there are; asked at start-up, on every poll
    ///     and on the repository API's loads.
    ///   - loader: builds a backend from a model file; called concurrently from loader threads.
    ///   - pollInterval: how long a version without `SHA256SUMS` must keep the same files before
    ///     a poll loads it; the server passes its `poll_interval` (when polling is off, only
    ///     `loadAll` and explicit loads load, and they do not wait).
    ///   - threadsPerInference: the server-wide default of `threads_per_inference` (1…64).
    ///   - now: the clock the stability wait is measured on; tests pass a manual one.
    ///   - log: receives one line per finding, per loaded, failed or released version, and a
    ///     summary. Called from loader threads concurrently, so it must be thread-safe.
    package init(
        source: any ModelSource, loader: @escaping BackendLoader, pollInterval: Duration = .seconds(5),
        threadsPerInference: Int = 1, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
        metrics: ServingMetrics? = nil,
        log: @escaping @Sendable (LogLevel, String) -> Void
    ) {
        self.metrics = metrics
        defaultThreadsPerInference = threadsPerInference
        self.source = source
        self.loader = loader
        self.now = now
        self.log = log
        self.control = Mutex(Control(lifecycle: ModelLifecycle(pollInterval: pollInterval)))
    }

    /// The current table: a lock and a struct copy. Called per request from any thread; the
    /// caller keeps the copy for the request's life.
    package var snapshot: ModelTable { table.withLock { $0 } }

    /// Scans the source, loads and warms every aspired version concurrently without a
    /// stability wait, and publishes the result in one swap. Blocks until done; the server calls
    /// it once at start-up, before the listeners open.
    ///
    /// Never throws: a broken model or version is published as `.unavailable` with its reason
    /// and logged, and the rest serve. Returns the scan's findings so the caller can decide
    /// whether an unreadable repository should stop start-up. While loading, the published table
    /// lists the aspired versions as `.loading` (metadata can say so; `isReady` stays false).
    @discardableResult
    package func loadAll() -> [Finding] {
        let findings = reconcile(mode: .startup)
        let final = snapshot
        let ready = final.models.filter { !$0.readyVersions.isEmpty }.count
        log(.info, "model repository \(source.location): \(ready) of \(final.models.count) models ready")
        return findings
    }

    /// Rescans the source and reconciles: loads new aspired versions whose files are settled
    /// (concurrently, on loader threads, while the caller waits), publishes them in one
    /// swap, lets go of versions that left the aspired set once a successor is ready, and drops
    /// drained ones. Blocks until done. Called every `poll_interval` by the server's poll thread.
    /// Never throws; returns the scan's findings (new ones are also logged).
    @discardableResult
    package func poll() -> [Finding] {
        reconcile(mode: .poll)
    }

    /// `POST /v2/repository/models/{m}/load`: rescans that one model now and loads what its
    /// policy aspires to without the stability wait, retrying failed versions; clears an earlier
    /// explicit unload. Blocks until the loads are done; call it off the event loops.
    ///
    /// Throws `.modelNotFound` when the source offers no such model, a hidden folder included
    /// (a model that was known is then drained and unloaded), and `.unavailable` with the
    /// reasons when the model ends up with no ready version.
    package func load(model name: String) throws(ServingError) {
        let scan = source.scan(model: name)
        logNew(scan.findings, replacing: false)
        let observed = scan.models.first.map(observe)
        let failure: ServingError? = control.withLock { control in
            let known = control.lifecycle.models[name] != nil
            guard observed != nil || known else { return .modelNotFound(name) }
            let actions = control.lifecycle.on(.loadRequested(model: name, observed: observed, at: now()))
            perform(actions, on: &control)
            return observed == nil ? .modelNotFound(name) : nil
        }
        if let failure { throw failure }
        guard let entry = snapshot.model(named: name) else { throw .modelNotFound(name) }
        _ = try entry.servable(version: nil)
    }

    /// `POST /v2/repository/models/{m}/unload`: takes every version of the model out of service
    /// (each drains its in-flight requests first); the model stays listed as unloaded, and polls
    /// leave it so, until the next `load(model:)`. Throws `.modelNotFound` for a model the
    /// manager does not know.
    package func unload(model name: String) throws(ServingError) {
        let known: Bool = control.withLock { control in
            guard control.lifecycle.models[name] != nil else { return false }
            perform(control.lifecycle.on(.unloadRequested(model: name)), on: &control)
            return true
        }
        if !known { throw .modelNotFound(name) }
        log(.info, "model '\(name)' unloaded on request")
    }

    /// `POST /v2/repository/index` and gRPC `RepositoryIndex`: one row per listed version, and
    /// one version-less row for a model that lists none, read from the current snapshot (it never
    /// waits for a poll). `readyOnly` keeps the `READY` rows (Triton's `ready` filter).
    package func repositoryIndex(readyOnly: Bool = false) -> [RepositoryIndexEntry] {
        let rows = snapshot.models.flatMap { model -> [RepositoryIndexEntry] in
            guard !model.versions.isEmpty else {
                let reason = model.isUnloaded ? "unloaded" : model.configError?.description ?? "no versions"
                return [RepositoryIndexEntry(name: model.name, version: nil, state: "UNAVAILABLE", reason: reason)]
            }
            return model.versions.map { entry in
                let reason = if case .unavailable(let why) = entry.state { why } else { "" }
                return RepositoryIndexEntry(
                    name: model.name, version: entry.version, state: entry.state.name.uppercased(), reason: reason)
            }
        }
        return readyOnly ? rows.filter { $0.state == "READY" } : rows
    }

    private func reconcile(mode: ModelLifecycle.ScanMode) -> [Finding] {
        let scan = source.scan()
        logNew(scan.findings, replacing: true)
        return control.withLock { control in
            let observed = scan.models.map { observe($0, cache: &control.checksums) }
            perform(control.lifecycle.on(.scanned(observed, mode: mode, at: now())), on: &control)
            return scan.findings
        }
    }

    /// Carries out the lifecycle's actions: publishes the `.loading` state, runs the loads
    /// concurrently on loader threads, feeds their results back, drops drained versions (and
    /// tells the others still unloading to report their drain), and publishes the outcome in
    /// one swap.
    private func perform(_ actions: [ModelLifecycle.Action], on control: inout Control) {
        var pending: [(ModelID, VersionBundle)] = []
        for action in actions {
            switch action {
            case .load(let id, let bundle): pending.append((id, bundle))
            case .unload(let id): log(.info, "\(id) is unloading")
            case .publish: break
            }
        }
        let jobs = pending
        if !jobs.isEmpty {
            publish(control.lifecycle.table)
            let results = Mutex<[(ModelID, Result<ServableVersion, ServingError>)]>([])
            DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
                let result = load(jobs[i].0, jobs[i].1)
                results.withLock { $0.append((jobs[i].0, result)) }
            }
            for (id, result) in results.withLock({ $0 }) {
                for case .unload(let old) in control.lifecycle.on(.loadFinished(id, result)) {
                    log(.info, "\(old) is unloading: a newer version is ready")
                }
            }
        }
        _ = dropDrained(&control)
        publish(control.lifecycle.table)
    }

    /// Tells every loaded version whether it is being let go, and drops the unloading ones no
    /// request holds. Returns whether it dropped any. Under the control lock.
    private func dropDrained(_ control: inout Control) -> Bool {
        var dropped = false
        for (id, servable, isUnloading) in control.lifecycle.loaded where servable.markUnloading(isUnloading) {
            _ = control.lifecycle.on(.requestsDrained(id))
            metrics?.forget(model: id.name, version: id.version)
            log(.info, "\(id) is unloaded")
            dropped = true
        }
        return dropped
    }

    /// Called by the last `VersionHandle` of an unloading version as it is released, on the
    /// releasing thread (an event loop, a worker): finishes the unload there when no control
    /// operation is running, else on a dispatch thread that waits its turn, so a request's
    /// thread never waits for a load. Idempotent: a version already dropped is left alone.
    func versionDrained() {
        let done: Void? = control.withLockIfAvailable { control in
            if dropDrained(&control) { publish(control.lifecycle.table) }
        }
        guard done == nil else { return }
        DispatchQueue.global().async {
            self.control.withLock { control in
                if self.dropDrained(&control) { self.publish(control.lifecycle.table) }
            }
        }
    }

    private func publish(_ newTable: ModelTable) {
        table.withLock { $0 = newTable }
    }
}
