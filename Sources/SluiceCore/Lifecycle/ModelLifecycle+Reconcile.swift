/// The rules of `ModelLifecycle` for one model: what a scan means for each version folder, and
/// when a ready version may go.
extension ModelLifecycle {
    /// Applies one model's scan (nil: its folder is gone). Returns whether there was anything
    /// to show (an unknown model that is absent changes nothing).
    mutating func reconcile(
        _ name: String, observed: ObservedModel?, mode: ScanMode, now: ContinuousClock.Instant,
        into actions: inout [Action]
    ) -> Bool {
        guard observed != nil || models[name] != nil else { return false }
        var model = models[name] ?? ModelRecord()
        guard let observed else {
            model.folderExists = false
            model.aspired = []
            models[name] = model
            _ = retire(name, into: &actions)
            return true
        }
        model.folderExists = true
        let onDisk = Dictionary(observed.versions.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        switch observed.config {
        case .success(let config):
            model.config = config
            model.configError = nil
            model.aspired = Set(config.versionPolicy.aspiredVersions(from: Array(onDisk.keys)))
        case .failure(let error):
            // No policy to apply: every folder is listed as unavailable with the config's error,
            // but a version already serving keeps serving (its config was valid when it loaded).
            model.configError = error
            model.aspired = Set(onDisk.keys)
        }
        if model.unloadedByOperator { model.aspired = [] }
        for version in model.aspired.sorted() {
            guard let folder = onDisk[version] else { continue }
            let id = ModelID(name: name, version: version)
            let failure = model.configError.map { BundleError(reason: $0.description) }
            model.versions[version] = advance(
                model.versions[version], id: id, folder: folder, configFailure: failure, mode: mode, now: now,
                into: &actions)
        }
        models[name] = model
        _ = retire(name, into: &actions)
        return true
    }

    /// The next record of one aspired version folder.
    private func advance(
        _ record: VersionRecord?, id: ModelID, folder: ObservedVersion, configFailure: BundleError?, mode: ScanMode,
        now: ContinuousClock.Instant, into actions: inout [Action]
    ) -> VersionRecord {
        let fingerprint = folder.fingerprint
        if let record {
            switch record.phase {
            case .ready, .loading:
                // A loaded bundle is immutable; a change to its files is a new version's job.
                return record
            case .unloading(let servable):
                // Aspired again (a policy change back) while still in memory: serve it again.
                return VersionRecord(phase: .ready(servable), fingerprint: record.fingerprint)
            case .failed:
                guard record.fingerprint != fingerprint || mode == .explicit else { return record }
            case .waiting(let since):
                if record.fingerprint == fingerprint {
                    return judge(id, folder, configFailure, mode: mode, since: since, now: now, into: &actions)
                }
            }
        }
        return judge(id, folder, configFailure, mode: mode, since: now, now: now, into: &actions)
    }

    /// Decides a version whose files have looked like `folder.fingerprint` since `since`.
    private func judge(
        _ id: ModelID, _ folder: ObservedVersion, _ configFailure: BundleError?, mode: ScanMode,
        since: ContinuousClock.Instant, now: ContinuousClock.Instant, into actions: inout [Action]
    ) -> VersionRecord {
        let fingerprint = folder.fingerprint
        if let configFailure { return VersionRecord(phase: .failed(configFailure.reason), fingerprint: fingerprint) }
        switch folder.checksums {
        case .mismatch(let reason):
            return VersionRecord(phase: .failed("\(ChecksumManifest.fileName): \(reason)"), fingerprint: fingerprint)
        case .absent where mode == .poll && now - since < pollInterval:
            // Still being copied, perhaps: wait until a later poll finds the same files.
            return VersionRecord(phase: .waiting(since: since), fingerprint: fingerprint)
        case .absent, .matching:
            break
        }
        switch folder.bundle {
        case .failure(let error):
            return VersionRecord(phase: .failed(error.reason), fingerprint: fingerprint)
        case .success(let bundle):
            actions.append(.load(id, bundle))
            return VersionRecord(phase: .loading, fingerprint: fingerprint)
        }
    }

    /// Lets go of the versions a model no longer aspires to. Pending and failed ones simply
    /// disappear; a loading one finishes first; a ready one goes `.unloading` only when the model
    /// has an aspired version ready to take its traffic, or is gone or unloaded (then there is
    /// nothing to protect).
    mutating func retire(_ name: String, into actions: inout [Action]) -> Bool {
        guard var model = models[name] else { return false }
        var changed = false
        let successorReady = model.aspired.contains { version in
            if case .ready = model.versions[version]?.phase { true } else { false }
        }
        let letGo = successorReady || !model.folderExists || model.unloadedByOperator
        for version in model.versions.keys.sorted() where !model.aspired.contains(version) {
            guard let record = model.versions[version] else { continue }
            switch record.phase {
            case .waiting, .failed:
                model.versions[version] = nil
                changed = true
            case .ready(let servable) where letGo:
                model.versions[version]?.phase = .unloading(servable)
                actions.append(.unload(ModelID(name: name, version: version)))
                changed = true
            case .ready, .loading, .unloading:
                break
            }
        }
        models[name] = model
        dropIfGone(name)
        return changed
    }
}
