import Foundation
import Synchronization
import Testing
@testable import SluiceCore

/// The model manager over real temporary repositories and a fake loader.
@Suite struct ModelManagerTests {
    let repo: TemporaryRepository
    let fake = FakeLoader()
    let logs = LogRecorder()

    init() throws { repo = try TemporaryRepository() }

    func loadAll() -> ModelTable {
        let manager = ModelManager(source: RepositoryScanner(root: repo.root, backends: .likeStandard()), loader: fake.loader, log: logs.sink)
        manager.loadAll()
        return manager.snapshot
    }

    @Test func loadsOnlyTheLatestNVersions() throws {
        try repo.write("m/model.yaml", "version_policy: {latest: 2}")
        for v in 1...3 { try repo.write("m/\(v)/model.json") }
        let model = try #require(loadAll().model(named: "m"))
        #expect(model.versions.map(\.version) == [2, 3])
        #expect(model.readyVersions == [2, 3])
        #expect(fake.loadedFiles(under: repo.root) == ["m/2/model.json", "m/3/model.json"])
    }

    @Test func requestWithoutVersionGetsTheHighestReadyVersion() throws {
        try repo.write("m/model.yaml", "version_policy: {all: true}")
        try repo.write("m/1/model.json")
        try repo.write("m/2/model.json")
        try repo.write("m/3/model.json", "corrupt")
        let model = try #require(loadAll().model(named: "m"))
        #expect(model.readyVersions == [1, 2])
        #expect(try model.servable(version: nil).version == 2)
        #expect(try model.servable(version: 1).version == 1)
    }

    @Test func failingVersionIsUnavailableWithItsReasonWhileOthersServe() throws {
        try repo.write("m/model.yaml", "version_policy: {all: true}")
        try repo.write("m/1/model.json")
        try repo.write("m/2/model.json", "corrupt")
        let table = loadAll()
        let model = try #require(table.model(named: "m"))
        #expect(model.version(2)?.state == .unavailable(reason: "cannot parse model file: corrupt"))
        #expect(model.version(2)?.servable == nil)
        #expect(throws: ServingError.unavailable("model 'm' version 2 is not ready: cannot parse model file: corrupt")) {
            try model.servable(version: 2)
        }
        #expect(throws: ServingError.versionNotFound(model: "m", version: 7)) { try model.servable(version: 7) }
        #expect(table.isReady)
        #expect(logs.lines.withLock { $0.contains("error: model 'm' version 2 is unavailable: cannot parse model file: corrupt") })
    }

    @Test func failedWarmupMakesTheVersionUnavailable() throws {
        try repo.write("m/1/model.json", "fails-warmup")
        let model = try #require(loadAll().model(named: "m"))
        #expect(model.version(1)?.state == .unavailable(reason: "warm-up failed: fake backend refuses to run"))
        #expect(throws: ServingError.unavailable(
            "model 'm' has no ready version (version 1: warm-up failed: fake backend refuses to run)")) {
            try model.servable(version: nil)
        }
    }

    @Test func warmupSendsZerosWithBatchOneForEachDeclaredInput() throws {
        try repo.write("m/model.yaml", """
            inputs:
              - {name: a, datatype: FP32, shape: [-1, 3]}
              - {name: b, datatype: INT64, shape: [-1]}
            """)
        try repo.write("m/1/model.json")
        _ = loadAll()
        let backend = try #require(fake.backends.withLock { $0.values.first })
        let sent = backend.received.withLock { $0 }
        #expect(sent == [[
            Tensor(unchecked: "a", shape: [1, 3], data: .fp32([0, 0, 0])),
            Tensor(unchecked: "b", shape: [1], data: .int64([0])),
        ]])
    }

    @Test func warmupFalseSkipsTheSyntheticRequest() throws {
        try repo.write("m/model.yaml", "warmup: false")
        try repo.write("m/1/model.json", "fails-warmup")
        let model = try #require(loadAll().model(named: "m"))
        #expect(model.readyVersions == [1])
        #expect(fake.backends.withLock { $0.values.first?.received.withLock { $0.isEmpty } } == true)
    }

    @Test func labelsResolveToTheirVersions() throws {
        try repo.write("m/model.yaml", "version_policy: {all: true}\nlabels: {stable: 1, canary: 2, old: 9}")
        try repo.write("m/1/model.json")
        try repo.write("m/2/model.json", "corrupt")
        let model = try #require(loadAll().model(named: "m"))
        #expect(model.labels == ["stable": 1, "canary": 2, "old": 9])
        #expect(try model.servable(label: "stable").version == 1)
        #expect(throws: ServingError.unavailable(
            "model 'm' label 'canary' points to version 2, which is not ready: cannot parse model file: corrupt")) {
            try model.servable(label: "canary")
        }
        #expect(throws: ServingError.unavailable("model 'm' label 'old' points to version 9, which is not loaded")) {
            try model.servable(label: "old")
        }
        #expect(throws: ServingError.labelNotFound(model: "m", label: "beta")) { try model.servable(label: "beta") }
    }

    @Test func brokenModelConfigMakesOnlyThatModelUnavailable() throws {
        try repo.write("bad/model.yaml", "warmup: maybe")
        try repo.write("bad/1/model.json")
        try repo.write("good/1/model.txt")
        let table = loadAll()
        #expect(table.models.map(\.name) == ["bad", "good"])
        let bad = try #require(table.model(named: "bad"))
        let reason = "\(repo.root)/bad/model.yaml: warmup: must be true or false"
        #expect(bad.configError?.description == reason)
        #expect(bad.version(1)?.state == .unavailable(reason: reason))
        #expect(throws: ServingError.unavailable("model 'bad' has no ready version: \(reason)")) {
            try bad.servable(version: nil)
        }
        #expect(table.model(named: "good")?.readyVersions == [1])
        #expect(fake.loadedFiles(under: repo.root) == ["good/1/model.txt"])
        #expect(!table.isReady)
        #expect(logs.lines.withLock { $0.contains("error: \(reason)") })
    }

    /// Yams would overflow the stack on these (issue #14); the reader refuses them first, so the
    /// model or version is unavailable with the reason and everything else serves.
    @Test func aConfigNestedThousandsDeepMakesOnlyItsModelOrVersionUnavailable() throws {
        try repo.write("deep/model.yaml", "labels: " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000))
        try repo.write("deep/1/model.json")
        try repo.write("v/model.yaml", "version_policy: {all: true}")
        try repo.write("v/1/model.json")
        try repo.write("v/2/model.json")
        try repo.write("v/2/model.yaml", String(repeating: "- ", count: 5_000) + "x")
        try repo.write("good/1/model.txt")
        let table = loadAll()
        let modelReason = "\(repo.root)/deep/model.yaml: nested more than 64 levels deep"
        let deep = try #require(table.model(named: "deep"))
        #expect(deep.configError?.description == modelReason)
        #expect(deep.version(1)?.state == .unavailable(reason: modelReason))
        let versioned = try #require(table.model(named: "v"))
        #expect(versioned.version(2)?.state == .unavailable(reason: "\(repo.root)/v/2/model.yaml: nested more than 64 levels deep"))
        #expect(versioned.readyVersions == [1])
        #expect(table.model(named: "good")?.readyVersions == [1])
    }

    @Test func versionConfigSignatureReachesTheLoader() throws {
        try repo.write("m/1/model.onnx")
        try repo.write("m/1/model.yaml", "inputs: [{name: image, datatype: UINT8, shape: [-1, 2, 2]}]")
        let servable = try loadAll().model(named: "m")?.servable(version: nil)
        #expect(servable?.inputs == [TensorSpec(name: "image", datatype: .uint8, shape: [-1, 2, 2])])
        #expect(servable?.platform == "onnx")
        #expect(servable?.modelName == "m")
        #expect(fake.requests.withLock { $0.first?.backend } == "onnx")
    }

    @Test func snapshotIsNotReadyBeforeTheFirstLoad() throws {
        let manager = ModelManager(source: RepositoryScanner(root: repo.root, backends: .likeStandard()), loader: fake.loader, log: logs.sink)
        #expect(!manager.snapshot.isReady)
        #expect(manager.snapshot.models.isEmpty)
        manager.loadAll()
        #expect(manager.snapshot.isReady)  // an empty repository has nothing to wait for
    }

    @Test func modelWithoutVersionsKeepsTheServerNotReady() throws {
        try repo.write("good/1/model.json")
        try repo.makeFolder("empty")
        let table = loadAll()
        #expect(table.model(named: "good")?.readyVersions == [1])
        #expect(table.model(named: "empty")?.versions.isEmpty == true)
        #expect(throws: ServingError.unavailable("model 'empty' has no versions")) {
            try table.model(named: "empty")?.servable(version: nil)
        }
        #expect(!table.isReady)
    }

    @Test func manyModelsLoadConcurrentlyIntoOneSortedTable() throws {
        let names = (1...12).map { "model-\(String($0, radix: 16))" }
        for name in names {
            try repo.write("\(name)/model.yaml", "version_policy: {all: true}")
            for v in 1...3 { try repo.write("\(name)/\(v)/model.json") }
        }
        let table = loadAll()
        #expect(table.models.map(\.name) == names.sorted())
        #expect(table.models.allSatisfy { $0.readyVersions == [1, 2, 3] })
        #expect(table.isReady)
        #expect(table.model(named: "nope") == nil)
    }
}

/// What a loader sees when it reads the published table in the middle of `loadAll()`.
@Test func tableDuringLoadingListsVersionsAsLoadingAndIsNotReady() throws {
    let repo = try TemporaryRepository()
    try repo.write("m/model.yaml", "version_policy: {all: true}")
    try repo.write("m/1/model.json")
    try repo.write("m/2/model.json")
    let fake = FakeLoader()
    let managerBox = Mutex<ModelManager?>(nil)
    let seen = Mutex<[ModelTable]>([])
    let loader: BackendLoader = { request throws(ServingError) in
        if let manager = managerBox.withLock({ $0 }) {
            let table = manager.snapshot
            seen.withLock { $0.append(table) }
        }
        return try fake.loader(request)
    }
    let manager = ModelManager(source: RepositoryScanner(root: repo.root, backends: .likeStandard()), loader: loader, log: { _, _ in })
    managerBox.withLock { $0 = manager }
    manager.loadAll()
    // The manager holds the loader, which holds the box: empty it so the manager is freed.
    managerBox.withLock { $0 = nil }
    let tables = seen.withLock { $0 }
    #expect(tables.count == 2)
    for table in tables {
        #expect(!table.isReady)
        #expect(table.model(named: "m")?.versions.map(\.state) == [.loading, .loading])
    }
    #expect(manager.snapshot.model(named: "m")?.readyVersions == [1, 2])
    #expect(manager.snapshot.isReady)
}

@Test(arguments: [
    (DataType.bool, TensorData.bool([false, false])), (.uint8, .uint8([0, 0])), (.int32, .int32([0, 0])),
    (.fp16, .fp16([0, 0])), (.fp64, .fp64([0, 0])), (.bytes, .bytes([[], []])),
])
func warmupZerosMatchTheDeclaredDatatype(datatype: DataType, zeros: TensorData) throws {
    let inputs = try Warmup.makeInputs(for: [TensorSpec(name: "x", datatype: datatype, shape: [-1, 2])])
    #expect(inputs == [Tensor(unchecked: "x", shape: [1, 2], data: zeros)])
}

@Test func warmupRefusesASignatureTooLargeToFill() {
    #expect(throws: ServingError.self) {
        try Warmup.makeInputs(for: [TensorSpec(name: "x", datatype: .fp32, shape: [-1, 1 << 20, 1 << 20])])
    }
}
