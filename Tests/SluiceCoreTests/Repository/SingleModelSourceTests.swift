import Foundation
import Testing
@testable import SluiceCore

/// Single-model mode's reading of one folder (KServe's `/mnt/models`), on real folders.
@Suite struct SingleModelSourceTests {
    let repo: TemporaryRepository
    init() throws { repo = try TemporaryRepository() }

    var source: SingleModelSource { SingleModelSource(name: "churn", directory: repo.root + "/", backends: .likeStandard()) }

    func messages(_ scan: RepositoryScan) -> [String] {
        scan.findings.map { $0.description.replacingOccurrences(of: repo.root, with: "/mnt/models") }
    }

    @Test func theFilesOfTheFolderAreVersion1OfTheNamedModel() throws {
        try repo.write("model.json")
        try repo.write("README.md", "what the storage initializer copied besides")
        let scan = source.scan()
        #expect(scan.findings.isEmpty)
        let model = try #require(scan.models.first)
        #expect(scan.models.count == 1 && model.name == "churn" && model.directory == repo.root)
        #expect(model.versions.map(\.version) == [1])
        #expect(model.versions[0].directory == repo.root)
        #expect(try model.versions[0].bundle.get() == VersionBundle(file: "\(repo.root)/model.json", backend: "xgboost", config: ModelConfig()))
    }

    @Test func aVersionedLayoutIsUsedAsItIs() throws {
        try repo.write("1/model.json")
        try repo.write("2/model.onnx")
        let model = try #require(source.scan().models.first)
        #expect(model.versions.map(\.version) == [1, 2])
        #expect(try model.versions.map { try $0.bundle.get().backend } == ["xgboost", "onnx"])
    }

    @Test func aNewNumericFolderBesideTheFilesIsANewVersion() throws {
        try repo.write("model.txt")
        try repo.write("2/model.txt")
        let model = try #require(source.scan().models.first)
        #expect(model.versions.map(\.version) == [1, 2])
        #expect(model.versions.map(\.directory) == [repo.root, "\(repo.root)/2"])
    }

    @Test func aFolderNamed1WinsOverTheFilesBesideIt() throws {
        try repo.write("model.json")
        try repo.write("1/model.onnx")
        let scan = source.scan()
        let model = try #require(scan.models.first)
        #expect(model.versions.map(\.directory) == ["\(repo.root)/1"])
        #expect(messages(scan) == ["warning: /mnt/models/model.json: ignored: folder 1/ is version 1"])
    }

    @Test func theFoldersModelYamlIsTheModelsNotAVersionOverride() throws {
        // An override may only hold backend, inputs and outputs; these keys are the model's.
        try repo.write("model.yaml", "version_policy: {all: true}\nlabels: {stable: 1}\nmax_batch_size: 8")
        try repo.write("model.json")
        try repo.write("2/model.json")
        let scan = source.scan()
        #expect(scan.findings.isEmpty, "\(messages(scan))")
        let model = try #require(scan.models.first)
        #expect(try model.config.get().labels == ["stable": 1])
        #expect(try model.versions.map { try $0.bundle.get().config.maxBatchSize } == [8, 8])
    }

    @Test func aBrokenModelYamlMakesVersion1UnavailableWithItsReason() throws {
        try repo.write("model.yaml", "version_policy: {latest: 0}")
        try repo.write("model.json")
        let model = try #require(source.scan().models.first)
        let reason = "\(repo.root)/model.yaml: version_policy.latest: must be a positive integer"
        #expect(model.versions.map(\.bundle) == [.failure(BundleError(reason: reason))])
    }

    @Test func aFolderWithoutAModelFileSaysWhatItExpected() throws {
        try repo.write("model.pkl")
        let scan = source.scan()
        #expect(scan.models.first?.versions.map(\.version) == [1])
        #expect(messages(scan) == [
            "error: /mnt/models: no model file (expected one of: model.json, model.ubj, model.bst, xgboost.json, xgboost.ubj, xgboost.model, model.txt, model.onnx)"
        ])
    }

    @Test func aMissingFolderIsAnErrorAndOtherNamesAreNotOffered() throws {
        let missing = SingleModelSource(name: "churn", directory: "\(repo.root)/nowhere", backends: .likeStandard())
        #expect(missing.scan().findings == [Finding(.error, "\(repo.root)/nowhere", "is not a readable folder")])
        try repo.write("model.json")
        #expect(source.scan(model: "churn").models.map(\.name) == ["churn"])
        #expect(source.scan(model: "fraud").models.isEmpty)
        #expect(source.location == repo.root)
    }
}
