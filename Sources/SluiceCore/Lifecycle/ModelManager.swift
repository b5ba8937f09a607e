import Dispatch
import Synchronization

/// Loads the repository's models and publishes what can serve: the *manager* of TF Serving's
/// source → manager → loader split (DESIGN §3), with `RepositoryScanner` as the source and the
/// injected `BackendLoader` as the loader.
///
/// The server creates one at start-up. `loadAll()` runs once, before the listeners accept
/// traffic, on a thread that may block (never an event loop). `snapshot` is read per request by
/// every event loop and worker. State lives in one `Mutex` held only to swap or copy the table,
/// so a request never waits on a load.
///
/// Not built yet: periodic re-scans and their reconciliation (keeping the last ready version
/// until its successor is ready, unloading after the last in-flight request), SHA256SUMS checks.
package final class ModelManager: Sendable {
    private let repository: String
    private let loader: BackendLoader
    private let log: @Sendable (LogLevel, String) -> Void
    private let table = Mutex(ModelTable.empty)

    /// - Parameters:
    ///   - repository: the repository folder as the user named it (paths in messages start with it).
    ///   - loader: builds a backend from a model file; called concurrently from loader threads.
    ///   - log: receives one line per finding, per loaded or failed version, and a summary.
    ///     Called from loader threads concurrently, so it must be thread-safe.
    package init(
        repository: String, loader: @escaping BackendLoader, log: @escaping @Sendable (LogLevel, String) -> Void
    ) {
        self.repository = repository
        self.loader = loader
        self.log = log
    }

    /// The current table: a lock and a struct copy. Called per request from any thread; the
    /// caller keeps the copy for the request's life.
    package var snapshot: ModelTable { table.withLock { $0 } }

    /// Scans the repository, applies each model's version policy, loads and warms every aspired
    /// version concurrently, and publishes the result in one swap. Blocks until done.
    ///
    /// Never throws: a broken model or version is published as `.unavailable` with its reason
    /// and logged, and the rest serve. Returns the scan's findings so the caller can decide
    /// whether an unreadable repository should stop start-up. While loading, the published table
    /// lists the aspired versions as `.loading` (metadata can say so; `isReady` stays false).
    @discardableResult
    package func loadAll() -> [Finding] {
        let scan = RepositoryScanner(root: repository).scan()
        for finding in scan.findings {
            // The level carries the severity; the line is the finding without it.
            log(finding.severity == .error ? .error : .warning, "\(finding.path): \(finding.message)")
        }
        let plans = scan.models.map(Self.plan)
        publish(ModelTable(models: plans.map { $0.entry(with: [:]) }, isComplete: false))

        let jobs = plans.flatMap { plan in plan.jobs }
        let results = Mutex<[JobKey: VersionEntry]>([:])
        DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
            let entry = load(jobs[i])
            results.withLock { $0[jobs[i].key] = entry }
        }
        let loaded = results.withLock { $0 }
        let final = ModelTable(models: plans.map { $0.entry(with: loaded) }, isComplete: true)
        publish(final)

        let ready = final.models.filter { !$0.readyVersions.isEmpty }.count
        log(.info, "model repository \(repository): \(ready) of \(final.models.count) models ready")
        return scan.findings
    }

    private func publish(_ newTable: ModelTable) {
        table.withLock { $0 = newTable }
    }

    /// Loads and warms one version. Runs on a loader thread; every failure becomes the
    /// version's `.unavailable` reason.
    private func load(_ job: Job) -> VersionEntry {
        let label = "model '\(job.model)' version \(job.version)"
        let start = ContinuousClock.now
        do throws(ServingError) {
            let backend = try loader(job.bundle.loadRequest)
            if job.bundle.config.warmup {
                do throws(ServingError) {
                    try Warmup.run(backend)
                } catch {
                    throw .loadFailure("warm-up failed: \(error)")
                }
            }
            let servable = ServableVersion(
                modelName: job.model, version: job.version, backend: backend, file: job.bundle.file,
                config: job.bundle.config)
            log(.info, "\(label) is ready (\(backend.platform), \(job.bundle.file), \(ContinuousClock.now - start))")
            return VersionEntry(ready: servable)
        } catch {
            log(.error, "\(label) is unavailable: \(error)")
            return VersionEntry(version: job.version, state: .unavailable(reason: error.description))
        }
    }
}

extension ModelManager {
    struct JobKey: Hashable, Sendable {
        var model: String
        var version: Int
    }

    /// One version to hand to the loader.
    struct Job: Sendable {
        var model: String
        var version: Int
        var bundle: VersionBundle
        var key: JobKey { JobKey(model: model, version: version) }
    }

    /// What the policy decided for one model: the versions that need loading, and those already
    /// known to be unavailable (broken folder or config) with their reasons.
    struct Plan: Sendable {
        var model: ScannedModel
        var config: ModelConfig
        var configError: ConfigError?
        var jobs: [Job]
        var broken: [VersionEntry]

        /// The model's entry, with loaded versions from `results` and the rest `.loading`.
        func entry(with results: [JobKey: VersionEntry]) -> ModelEntry {
            let loaded = jobs.map { results[$0.key] ?? VersionEntry(version: $0.version, state: .loading) }
            return ModelEntry(name: model.name, config: config, configError: configError, versions: broken + loaded)
        }
    }

    /// Applies the version policy to one scanned model. A model whose config is broken has no
    /// policy to apply, so every version folder is listed as unavailable with the config's error.
    static func plan(_ model: ScannedModel) -> Plan {
        switch model.config {
        case .failure(let error):
            let broken = model.versions.map {
                VersionEntry(version: $0.version, state: .unavailable(reason: error.description))
            }
            return Plan(model: model, config: ModelConfig(), configError: error, jobs: [], broken: broken)
        case .success(let config):
            let aspired = Set(config.versionPolicy.aspiredVersions(from: model.versions.map(\.version)))
            var plan = Plan(model: model, config: config, configError: nil, jobs: [], broken: [])
            for scanned in model.versions where aspired.contains(scanned.version) {
                switch scanned.bundle {
                case .success(let bundle):
                    plan.jobs.append(Job(model: model.name, version: scanned.version, bundle: bundle))
                case .failure(let error):
                    plan.broken.append(VersionEntry(version: scanned.version, state: .unavailable(reason: error.reason)))
                }
            }
            return plan
        }
    }
}
