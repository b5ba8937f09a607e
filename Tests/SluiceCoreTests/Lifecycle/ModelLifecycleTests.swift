import Testing
@testable import SluiceCore

/// The lifecycle rules as event tables on made-up times: no files, no threads, no sleeps.
@Suite struct ModelLifecycleTests {
    let t0 = ContinuousClock.now
    let interval = Duration.seconds(5)
    var machine = ModelLifecycle(pollInterval: .seconds(5))

    /// A version folder whose files read as `files` (any string stands for a set of files).
    static func folder(
        _ version: Int, _ files: String = "v1", checksums: ChecksumStatus = .absent, broken: String? = nil
    ) -> ObservedVersion {
        let fingerprint = VersionFingerprint(files: [.init(name: files, size: 1, modified: 0)])
        let bundle: Result<VersionBundle, BundleError> =
            broken.map { .failure(BundleError(reason: $0)) }
            ?? .success(bundle(version))
        return ObservedVersion(version: version, bundle: bundle, fingerprint: fingerprint, checksums: checksums)
    }

    static func bundle(_ version: Int) -> VersionBundle {
        VersionBundle(file: "/models/m/\(version)/model.json", backend: "xgboost", config: ModelConfig())
    }

    static func model(_ folders: ObservedVersion..., policy: VersionPolicy = .default) -> [ObservedModel] {
        [ObservedModel(name: "m", config: .success(ModelConfig(versionPolicy: policy)), versions: folders)]
    }

    static func id(_ version: Int) -> ModelID { ModelID(name: "m", version: version) }

    static func servable(_ version: Int) -> ServableVersion {
        ServableVersion(
            modelName: "m", version: version, backend: FakeBackend(platform: "xgboost", inputs: [], failsToRun: false),
            file: "/models/m/\(version)/model.json", config: ModelConfig())
    }

    func states() -> [Int: String] {
        var states: [Int: String] = [:]
        for entry in machine.table.model(named: "m")?.versions ?? [] {
            states[entry.version] = if case .unavailable(let reason) = entry.state { "unavailable: \(reason)" } else {
                entry.state.name
            }
        }
        return states
    }

    mutating func loaded(_ version: Int) -> [ModelLifecycle.Action] {
        machine.on(.loadFinished(Self.id(version), .success(Self.servable(version))))
    }

    @Test mutating func startupLoadsAtOnceAndPublishesWhenReady() {
        #expect(machine.on(.scanned(Self.model(Self.folder(1)), mode: .startup, at: t0)) == [
            .load(Self.id(1), Self.bundle(1)), .publish,
        ])
        #expect(states() == [1: "loading"])
        #expect(!machine.isComplete)
        #expect(loaded(1) == [.publish])
        #expect(states() == [1: "ready"])
        #expect(machine.isComplete && machine.table.isReady)
    }

    @Test mutating func newVersionWaitsOneIntervalThenLoadsAndOnlyThenRetiresTheOld() throws {
        _ = machine.on(.scanned(Self.model(Self.folder(1)), mode: .startup, at: t0))
        _ = loaded(1)
        // Version 2 appears: policy {latest: 1} aspires to it alone, but 1 keeps serving.
        #expect(machine.on(.scanned(Self.model(Self.folder(1), Self.folder(2)), mode: .poll, at: t0 + .seconds(10)))
            == [.publish])
        #expect(states() == [1: "ready", 2: "loading"])
        // Same files a full interval later: load it.
        #expect(machine.on(.scanned(Self.model(Self.folder(1), Self.folder(2)), mode: .poll, at: t0 + .seconds(15)))
            == [.load(Self.id(2), Self.bundle(2)), .publish])
        #expect(states() == [1: "ready", 2: "loading"])
        #expect(try machine.table.model(named: "m")?.servable(version: nil).version == 1)
        // Ready: the old one goes in the same publish.
        #expect(loaded(2) == [.unload(Self.id(1)), .publish])
        #expect(states() == [1: "unloading", 2: "ready"])
        #expect(machine.loaded.filter(\.isUnloading).map(\.id) == [Self.id(1)])
        #expect(machine.on(.requestsDrained(Self.id(1))) == [.publish])
        #expect(states() == [2: "ready"])
    }

    @Test mutating func filesStillChangingRestartTheWait() {
        _ = machine.on(.scanned(Self.model(Self.folder(1, "half")), mode: .poll, at: t0))
        _ = machine.on(.scanned(Self.model(Self.folder(1, "whole")), mode: .poll, at: t0 + .seconds(5)))
        #expect(states() == [1: "loading"])
        #expect(machine.on(.scanned(Self.model(Self.folder(1, "whole")), mode: .poll, at: t0 + .seconds(9))) == [.publish])
        #expect(machine.on(.scanned(Self.model(Self.folder(1, "whole")), mode: .poll, at: t0 + .seconds(10)))
            == [.load(Self.id(1), Self.bundle(1)), .publish])
    }

    @Test mutating func checksumsDecideAtOnceWithoutWaiting() {
        let bad = Self.folder(1, "half", checksums: .mismatch("model.json does not match its SHA256SUMS digest"))
        #expect(machine.on(.scanned(Self.model(bad), mode: .poll, at: t0)) == [.publish])
        #expect(states() == [1: "unavailable: SHA256SUMS: model.json does not match its SHA256SUMS digest"])
        let good = Self.folder(1, "whole", checksums: .matching)
        #expect(machine.on(.scanned(Self.model(good), mode: .poll, at: t0 + .seconds(1)))
            == [.load(Self.id(1), Self.bundle(1)), .publish])
    }

    @Test mutating func failedVersionIsRetriedOnlyWhenItsFilesChange() {
        _ = machine.on(.scanned(Self.model(Self.folder(1)), mode: .startup, at: t0))
        _ = machine.on(.loadFinished(Self.id(1), .failure(.loadFailure("cannot parse model file"))))
        #expect(states() == [1: "unavailable: cannot parse model file"])
        #expect(machine.on(.scanned(Self.model(Self.folder(1)), mode: .poll, at: t0 + .seconds(60))) == [.publish])
        #expect(states() == [1: "unavailable: cannot parse model file"])
        // Rewritten: waits for stability like any new files, then loads.
        _ = machine.on(.scanned(Self.model(Self.folder(1, "fixed")), mode: .poll, at: t0 + .seconds(65)))
        #expect(states() == [1: "loading"])
        #expect(machine.on(.scanned(Self.model(Self.folder(1, "fixed")), mode: .poll, at: t0 + .seconds(70)))
            == [.load(Self.id(1), Self.bundle(1)), .publish])
    }

    @Test mutating func failingSuccessorLeavesTheOldVersionServing() throws {
        _ = machine.on(.scanned(Self.model(Self.folder(1)), mode: .startup, at: t0))
        _ = loaded(1)
        _ = machine.on(.scanned(Self.model(Self.folder(1), Self.folder(2)), mode: .explicit, at: t0))
        #expect(machine.on(.loadFinished(Self.id(2), .failure(.loadFailure("corrupt")))) == [.publish])
        #expect(states() == [1: "ready", 2: "unavailable: corrupt"])
        #expect(try machine.table.model(named: "m")?.servable(version: nil).version == 1)
    }

    @Test mutating func brokenFolderWaitsForStabilityBeforeItIsJudged() {
        let empty = Self.folder(1, "nothing yet", broken: "no model file")
        #expect(machine.on(.scanned(Self.model(empty), mode: .poll, at: t0)) == [.publish])
        #expect(states() == [1: "loading"])
        _ = machine.on(.scanned(Self.model(empty), mode: .poll, at: t0 + .seconds(5)))
        #expect(states() == [1: "unavailable: no model file"])
    }

    @Test mutating func removedModelFolderDrainsAndLeavesTheTable() {
        _ = machine.on(.scanned(Self.model(Self.folder(1)), mode: .startup, at: t0))
        _ = loaded(1)
        #expect(machine.on(.scanned([], mode: .poll, at: t0 + .seconds(5))) == [.unload(Self.id(1)), .publish])
        #expect(states() == [1: "unloading"])
        #expect(machine.on(.requestsDrained(Self.id(1))) == [.publish])
        #expect(machine.table.model(named: "m") == nil)
        #expect(machine.table.isReady)
    }

    @Test mutating func removedVersionFolderGoesOnceAnOlderAspiredOneIsReady() {
        _ = machine.on(.scanned(Self.model(Self.folder(1), Self.folder(2), policy: .all), mode: .startup, at: t0))
        _ = loaded(1)
        _ = loaded(2)
        // Rolling back by deleting 2 with {latest: 1}: 1 is aspired and already ready.
        let actions = machine.on(.scanned(Self.model(Self.folder(1)), mode: .poll, at: t0 + .seconds(5)))
        #expect(actions == [.unload(Self.id(2)), .publish])
    }

    @Test mutating func explicitUnloadWinsOverPollsUntilTheNextLoad() {
        _ = machine.on(.scanned(Self.model(Self.folder(1)), mode: .startup, at: t0))
        _ = loaded(1)
        #expect(machine.on(.unloadRequested(model: "m")) == [.unload(Self.id(1)), .publish])
        _ = machine.on(.requestsDrained(Self.id(1)))
        #expect(machine.on(.scanned(Self.model(Self.folder(1)), mode: .poll, at: t0 + .seconds(60))) == [.publish])
        let model = machine.table.model(named: "m")
        #expect(model?.isUnloaded == true && model?.versions.isEmpty == true)
        #expect(machine.table.isReady)
        #expect(machine.on(.loadRequested(model: "m", observed: Self.model(Self.folder(1))[0], at: t0 + .seconds(61)))
            == [.load(Self.id(1), Self.bundle(1)), .publish])
        #expect(machine.table.model(named: "m")?.isUnloaded == false)
    }

    @Test mutating func explicitLoadRetriesAFailedVersionWithUnchangedFiles() {
        _ = machine.on(.scanned(Self.model(Self.folder(1)), mode: .startup, at: t0))
        _ = machine.on(.loadFinished(Self.id(1), .failure(.loadFailure("out of memory"))))
        #expect(machine.on(.loadRequested(model: "m", observed: Self.model(Self.folder(1))[0], at: t0))
            == [.load(Self.id(1), Self.bundle(1)), .publish])
    }

    @Test mutating func brokenModelConfigKeepsTheServingVersion() {
        _ = machine.on(.scanned(Self.model(Self.folder(1)), mode: .startup, at: t0))
        _ = loaded(1)
        let error = ConfigError(file: "m/model.yaml", keyPath: "warmup", reason: "must be true or false")
        let broken = ObservedModel(name: "m", config: .failure(error), versions: [Self.folder(1), Self.folder(2)])
        #expect(machine.on(.scanned([broken], mode: .poll, at: t0 + .seconds(5))) == [.publish])
        #expect(states() == [1: "ready", 2: "unavailable: \(error)"])
    }

    @Test mutating func versionAspiredAgainWhileUnloadingServesAgain() {
        _ = machine.on(.scanned(Self.model(Self.folder(1), Self.folder(2), policy: .all), mode: .startup, at: t0))
        _ = loaded(1)
        _ = loaded(2)
        _ = machine.on(.scanned(Self.model(Self.folder(1), Self.folder(2)), mode: .poll, at: t0))
        #expect(states() == [1: "unloading", 2: "ready"])
        _ = machine.on(.scanned(Self.model(Self.folder(1), Self.folder(2), policy: .all), mode: .poll, at: t0))
        #expect(states() == [1: "ready", 2: "ready"])
    }
}
