import Foundation
import Synchronization
import Testing
@testable import SluiceCore

/// `poll()`, `load(model:)`, `unload(model:)` and `repositoryIndex()` over real temporary
/// folders, a fake loader and a manual clock.
@Suite struct ModelManagerPollTests {
    let repo: TemporaryRepository
    let fake = FakeLoader()
    let logs = LogRecorder()
    let clock = ManualClock()
    let manager: ModelManager

    init() throws {
        let repo = try TemporaryRepository()
        self.repo = repo
        manager = ModelManager(
            source: RepositoryScanner(root: repo.root, backends: .likeStandard()), loader: fake.loader, pollInterval: .seconds(5), now: clock.now, log: logs.sink)
    }

    func states(_ name: String = "m") -> [Int: String] {
        var states: [Int: String] = [:]
        for entry in manager.snapshot.model(named: name)?.versions ?? [] {
            states[entry.version] = if case .unavailable(let reason) = entry.state { "unavailable: \(reason)" } else {
                entry.state.name
            }
        }
        return states
    }

    @Test func newVersionIsLoadedAfterOneStableIntervalThenReplacesTheOld() throws {
        try repo.write("m/1/model.json")
        manager.loadAll()
        #expect(states() == [1: "ready"])
        try repo.write("m/2/model.json", "first half")
        manager.poll()
        #expect(states() == [1: "ready", 2: "loading"])
        clock.advance(by: .seconds(5))
        try repo.write("m/2/model.json", "first half, second half")
        manager.poll()
        #expect(states() == [1: "ready", 2: "loading"])
        #expect(fake.loadedFiles(under: repo.root) == ["m/1/model.json"])
        clock.advance(by: .seconds(5))
        manager.poll()
        #expect(states() == [2: "ready"])
        #expect(try manager.snapshot.model(named: "m")?.servable(version: nil).version == 2)
        #expect(logs.lines.withLock { $0.contains("info: model 'm' version 1 is unloaded") })
    }

    @Test func versionWithARequestInFlightIsUnloadedTheMomentItEnds() throws {
        try repo.write("m/1/model.json")
        manager.loadAll()
        let old = try #require(try manager.snapshot.model(named: "m")?.servable(version: nil))
        let request = old.acquire()
        try repo.write("m/2/model.json", "version two")
        try repo.write("m/2/SHA256SUMS", "\(try SHA256Tests.sha256sum("\(repo.root)/m/2/model.json"))  model.json\n")
        manager.poll()
        #expect(states() == [1: "unloading", 2: "ready"])
        manager.poll()
        #expect(states() == [1: "unloading", 2: "ready"])
        request.release()
        // No poll: releasing the last handle finished the unload.
        #expect(states() == [2: "ready"])
        #expect(logs.lines.withLock { $0.contains("info: model 'm' version 1 is unloaded") })
    }

    @Test func aDrainDuringAControlOperationFinishesWhenItEnds() throws {
        try repo.write("m/1/model.json")
        manager.loadAll()
        let old = try #require(try manager.snapshot.model(named: "m")?.servable(version: nil))
        var request: VersionHandle? = old.acquire()
        #expect(throws: Never.self) { try manager.unload(model: "m") }
        #expect(states() == [1: "unloading"])
        // Released while a control operation holds the lock: the drain waits its turn, and the
        // releasing thread does not wait for it.
        manager.control.withLock { _ in request.take()?.release() }
        #expect(eventually { states() == [:] })
    }

    @Test func releasesRacingAnUnloadNeverMissTheDrain() throws {
        try repo.write("m/1/model.json")
        manager.loadAll()
        let old = try #require(try manager.snapshot.model(named: "m")?.servable(version: nil))
        let manager = manager
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            if i == 0 {
                _ = try? manager.unload(model: "m")
            } else {
                for _ in 0..<20_000 { old.acquire().release() }
            }
        }
        // No poll: the unload itself or whichever release came last finished it.
        #expect(eventually { states() == [:] })
        #expect(old.inFlightRequests == 0)
    }

    /// Waits (1 ms at a time, 10 s at most) for a drain handed to a dispatch thread.
    private func eventually(_ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() && ContinuousClock.now < deadline { usleep(1_000) }
        return condition()
    }

    @Test func checksumMismatchIsNotLoadedUntilTheFilesMatch() throws {
        try repo.write("m/1/model.json", "whole model")
        let digest = try SHA256Tests.sha256sum("\(repo.root)/m/1/model.json")
        try repo.write("m/1/model.json", "whole")
        try repo.write("m/1/SHA256SUMS", "\(digest)  model.json\n")
        manager.poll()
        #expect(states() == [1: "unavailable: SHA256SUMS: model.json does not match its SHA256SUMS digest"])
        #expect(fake.loadedFiles(under: repo.root).isEmpty)
        manager.poll()
        #expect(logs.lines.withLock { $0.filter { $0.contains("SHA256SUMS") } } == [
            "warning: \(repo.root)/m/1: not loaded: SHA256SUMS: model.json does not match its SHA256SUMS digest"
        ])
        try repo.write("m/1/model.json", "whole model")
        manager.poll()  // no clock advance: a matching manifest needs no wait
        #expect(states() == [1: "ready"])
    }

    @Test func corruptVersionIsRetriedOnlyAfterItsFilesChange() throws {
        try repo.write("m/1/model.json", "corrupt")
        manager.loadAll()
        #expect(states() == [1: "unavailable: cannot parse model file: corrupt"])
        clock.advance(by: .seconds(60))
        manager.poll()
        #expect(fake.requests.withLock { $0.count } == 1)
        try repo.write("m/1/model.json", "repaired, and longer")
        manager.poll()
        clock.advance(by: .seconds(5))
        manager.poll()
        #expect(states() == [1: "ready"])
        #expect(fake.requests.withLock { $0.count } == 2)
    }

    @Test func removedModelFolderIsDrainedAndDropped() throws {
        try repo.write("gone/1/model.json")
        try repo.write("kept/1/model.json")
        manager.loadAll()
        try FileManager.default.removeItem(atPath: "\(repo.root)/gone")
        manager.poll()
        #expect(manager.snapshot.models.map(\.name) == ["kept"])
        #expect(manager.snapshot.isReady)
    }

    @Test func explicitUnloadAndLoad() throws {
        try repo.write("m/1/model.json")
        manager.loadAll()
        try manager.unload(model: "m")
        #expect(manager.repositoryIndex() == [RepositoryIndexEntry(name: "m", version: nil, state: "UNAVAILABLE", reason: "unloaded")])
        manager.poll()
        #expect(states().isEmpty)
        #expect(throws: ServingError.unavailable("model 'm' is unloaded")) {
            try manager.snapshot.model(named: "m")?.servable(version: nil)
        }
        try repo.write("m/2/model.json")
        try manager.load(model: "m")  // no stability wait on request
        #expect(states() == [2: "ready"])
        #expect(manager.repositoryIndex() == [RepositoryIndexEntry(name: "m", version: 2, state: "READY", reason: "")])
        #expect(throws: ServingError.modelNotFound("nope")) { try manager.load(model: "nope") }
        #expect(throws: ServingError.modelNotFound("nope")) { try manager.unload(model: "nope") }
    }

    @Test func explicitLoadOfAHiddenFolderIsAnUnknownModel() throws {
        try repo.write("m/1/model.json")
        try repo.write(".x/1/model.json")
        try repo.write("..data/1/model.json")
        manager.loadAll()
        #expect(throws: ServingError.modelNotFound(".x")) { try manager.load(model: ".x") }
        #expect(throws: ServingError.modelNotFound("..data")) { try manager.load(model: "..data") }
        #expect(manager.snapshot.models.map(\.name) == ["m"])
        manager.poll()
        #expect(manager.snapshot.models.map(\.name) == ["m"])
    }

    @Test func explicitLoadOfABrokenModelSaysWhy() throws {
        try repo.write("m/1/model.json", "corrupt")
        #expect(throws: ServingError.unavailable(
            "model 'm' has no ready version (version 1: cannot parse model file: corrupt)")) {
            try manager.load(model: "m")
        }
        #expect(manager.repositoryIndex() == [RepositoryIndexEntry(
            name: "m", version: 1, state: "UNAVAILABLE", reason: "cannot parse model file: corrupt")])
    }

    @Test func findingsAreLoggedOncePerAppearance() throws {
        try repo.write("m/1/model.json")
        try repo.makeFolder("m/v2")
        manager.loadAll()
        manager.poll()
        manager.poll()
        let warnings = logs.lines.withLock { $0.filter { $0.hasPrefix("warning: ") } }
        #expect(warnings == ["warning: \(repo.root)/m/v2: ignored: version folders are positive integers"])
    }
}
