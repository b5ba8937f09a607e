import Synchronization

/// How `ModelManager` turns a scan into what the lifecycle judges, and runs one load. Both run
/// on the thread that drives a control operation (loads on loader threads), never an event loop.
extension ModelManager {
    /// Fingerprints every version folder and checks `SHA256SUMS` of the aspired ones, reusing a
    /// verdict from `cache` while the folder's fingerprint is unchanged (hashing reads every
    /// byte). The cache keeps only folders seen in this scan.
    func observe(_ model: ScannedModel, cache: inout [String: (VersionFingerprint, ChecksumStatus)]) -> ObservedModel {
        let aspired: Set<Int> =
            switch model.config {
            case .success(let config): Set(config.versionPolicy.aspiredVersions(from: model.versions.map(\.version)))
            case .failure: []
            }
        let configPath = "\(model.directory)/model.yaml"
        let versions = model.versions.map { scanned in
            let fingerprint = VersionFingerprint.read(directory: scanned.directory, modelConfig: configPath, topLevelOnly: scanned.ownsTopLevelOnly)
            var checksums = ChecksumStatus.absent
            if aspired.contains(scanned.version), fingerprint.checksums != nil {
                if let cached = cache[scanned.directory], cached.0 == fingerprint {
                    checksums = cached.1
                } else {
                    checksums = ChecksumManifest.check(directory: scanned.directory)
                    // Logged when the verdict is new, not every poll: a copy in progress says
                    // so once per change of its files.
                    if case .mismatch(let reason) = checksums {
                        log(.warning, "\(scanned.directory): not loaded: \(ChecksumManifest.fileName): \(reason)")
                    }
                }
                cache[scanned.directory] = (fingerprint, checksums)
            }
            return ObservedVersion(
                version: scanned.version, bundle: scanned.bundle, fingerprint: fingerprint, checksums: checksums)
        }
        let live = Set(model.versions.map(\.directory))
        for key in cache.keys where key.hasPrefix(model.directory + "/") && !live.contains(key) { cache[key] = nil }
        return ObservedModel(name: model.name, config: model.config, versions: versions)
    }

    /// `observe` without a cache, for the repository API's load (which re-checks everything).
    func observe(_ model: ScannedModel) -> ObservedModel {
        var cache: [String: (VersionFingerprint, ChecksumStatus)] = [:]
        return observe(model, cache: &cache)
    }

    /// Loads and warms one version. Runs on a loader thread; every failure becomes the
    /// version's `.unavailable` reason (and one log line).
    func load(_ id: ModelID, _ bundle: VersionBundle) -> Result<ServableVersion, ServingError> {
        let start = ContinuousClock.now
        do throws(ServingError) {
            let backend = try loader(bundle.loadRequest)
            if bundle.config.isBatched, let refusal = backend.batchingRefusal { throw .loadFailure(refusal) }
            var config = bundle.config
            let (threads, threadsNote) = try threadsPerInference(declared: config.threadsPerInference, backend)
            config.threadsPerInference = threads
            if bundle.config.warmup {
                do throws(ServingError) {
                    try Warmup.run(backend)
                } catch {
                    throw .loadFailure("warm-up failed: \(error)")
                }
            }
            let servable = ServableVersion(
                modelName: id.name, version: id.version, backend: backend, file: bundle.file, config: config,
                metrics: metrics.map { VersionMetrics($0, model: id.name, version: id.version) },
                onDrained: { [weak self] in self?.versionDrained() })
            metrics?.loadDuration.handle(labels: [id.name]).observe(since: start)
            let notes = (backend.notes + [threadsNote].compactMap { $0 }).map { "; \($0)" }.joined()
            log(.info, "\(id) is ready (\(backend.platform), \(bundle.file), \(ContinuousClock.now - start))\(notes)")
            return .success(servable)
        } catch {
            metrics?.loadFailures.handle(labels: [id.name]).increment()
            log(.error, "\(id) is unavailable: \(error)")
            return .failure(error)
        }
    }

    /// The threads one call of a version may use (`ModelConfig.threadsPerInference`): its
    /// `model.yaml`'s, which a backend that cannot slice refuses (the load fails with the
    /// reason); else the server's default where the backend can slice, and 1 where it cannot,
    /// with a note saying why for the ready line (a server-wide default never makes a model
    /// unavailable).
    func threadsPerInference(declared: Int?, _ backend: any Backend) throws(ServingError) -> (Int, note: String?) {
        if let declared {
            if declared > 1, let refusal = backend.slicingRefusal { throw .loadFailure(refusal) }
            return (declared, nil)
        }
        guard defaultThreadsPerInference > 1 else { return (1, nil) }
        guard let refusal = backend.slicingRefusal else { return (defaultThreadsPerInference, nil) }
        return (1, "one thread per inference, not scheduling.threads_per_inference's \(defaultThreadsPerInference): \(refusal)")
    }

    /// Logs the findings a previous scan did not already report, so a broken folder is logged
    /// once rather than every `poll_interval`. `replacing`: this scan covered the whole
    /// repository, so findings absent from it are forgotten (and logged again if they return).
    func logNew(_ findings: [Finding], replacing: Bool) {
        let fresh: [Finding] = control.withLock { control in
            let new = findings.filter { !control.findings.contains($0.description) }
            if replacing { control.findings = Set(findings.map(\.description)) } else {
                control.findings.formUnion(findings.map(\.description))
            }
            return new
        }
        for finding in fresh {
            // The level carries the severity; the line is the finding without it.
            log(finding.severity == .error ? .error : .warning, "\(finding.path): \(finding.message)")
        }
    }
}
