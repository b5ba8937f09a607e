import Foundation
import Testing
@testable import SluiceCore

/// Scans of real folders built in a temporary directory.
@Suite struct RepositoryScannerTests {
    let repo: TemporaryRepository
    init() throws { repo = try TemporaryRepository() }

    func scan() -> RepositoryScan { RepositoryScanner(root: repo.root, backends: .likeStandard()).scan() }

    func messages(_ scan: RepositoryScan) -> [String] {
        scan.findings.map { $0.description.replacingOccurrences(of: repo.root, with: "models") }
    }

    @Test func modelFileNameDecidesTheBackend() throws {
        try repo.write("trees/1/model.json")
        try repo.write("trees/2/model.ubj")
        try repo.write("gbm/1/model.txt")
        try repo.write("net/1/model.onnx")
        let scan = scan()
        #expect(scan.findings.isEmpty)
        #expect(scan.models.map(\.name) == ["gbm", "net", "trees"])
        let kinds = scan.models.map { model in model.versions.map { try? $0.bundle.get().backend } }
        #expect(kinds == [["lightgbm"], ["onnx"], ["xgboost", "xgboost"]])
        let trees = try #require(scan.models.last)
        #expect(try trees.versions[1].bundle.get().file == "\(repo.root)/trees/2/model.ubj")
    }

    @Test func badModelNamesAreSkippedWithAWarning() throws {
        try repo.write("good/1/model.json")
        try repo.write("has space/1/model.json")
        try repo.write("\(String(repeating: "x", count: 129))/1/model.json")
        try repo.write(".git/1/model.json")  // hidden: tooling, skipped without a word
        try repo.write("..data/1/model.json")  // a Kubernetes ConfigMap mount's internals
        try repo.write("README.md", "not a model")
        let scan = scan()
        #expect(scan.models.map(\.name) == ["good"])
        #expect(messages(scan) == [
            "warning: models/has space: skipped: model names must match [a-zA-Z0-9_.-]{1,128}",
            "warning: models/\(String(repeating: "x", count: 129)): skipped: model names must match [a-zA-Z0-9_.-]{1,128}",
        ].sorted())
        #expect(!scan.hasErrors)
    }

    @Test func aHiddenFolderIsNoModelWhenNamedEither() throws {
        // The repository API's load names one folder: a hidden one is no model there either.
        try repo.write(".x/1/model.json")
        try repo.write("..data/1/model.json")
        try repo.write("good/1/model.json")
        let scanner = RepositoryScanner(root: repo.root, backends: .likeStandard())
        #expect(scanner.scan(model: ".x").models.isEmpty)
        #expect(scanner.scan(model: "..data").models.isEmpty)
        #expect(scanner.scan(model: "good").models.map(\.name) == ["good"])
    }

    @Test(arguments: [
        ("fraud", true), ("fraud-xgb_v2.1", true), ("a", true), (String(repeating: "a", count: 128), true),
        (String(repeating: "a", count: 129), false), ("", false), (".", false), ("..", false),
        ("a/b", false), ("a b", false), ("modèle", false), ("%2e%2e", false),
    ])
    func modelNameRuleAcceptsOnlySafeNames(name: String, valid: Bool) {
        #expect(RepositoryScanner.isValidName(name) == valid)
    }

    @Test(arguments: [
        ("1", 1), ("42", 42), ("0", nil), ("007", nil), ("-1", nil), ("+3", nil), ("v3", nil), ("3a", nil),
        ("99999999999999999999999", nil), ("", nil),
    ] as [(String, Int?)])
    func versionFolderNamesArePositiveIntegers(name: String, version: Int?) {
        #expect(RepositoryScanner.versionNumber(name) == version)
    }

    @Test func nonNumericVersionFoldersAreIgnored() throws {
        try repo.write("m/1/model.json")
        try repo.write("m/latest/model.json")
        try repo.write("m/007/model.json")
        try repo.write("m/notes.txt")
        let scan = scan()
        #expect(scan.models.first?.versions.map(\.version) == [1])
        #expect(messages(scan) == [
            "warning: models/m/007: ignored: version folders are positive integers",
            "warning: models/m/latest: ignored: version folders are positive integers",
        ])
    }

    @Test func versionsAreListedAscendingByNumber() throws {
        for v in [10, 9, 100, 1] { try repo.write("m/\(v)/model.txt") }
        #expect(scan().models.first?.versions.map(\.version) == [1, 9, 10, 100])
    }

    @Test func twoModelFilesInOneVersionIsAnErrorThatSaysSo() throws {
        try repo.write("m/1/model.json")
        try repo.write("m/1/model.onnx")
        try repo.write("m/2/model.json")
        let scan = scan()
        let versions = try #require(scan.models.first?.versions)
        let reason = "two candidate model files (model.json, model.onnx); keep one, or set backend: in model.yaml"
        #expect(versions[0].bundle == .failure(BundleError(reason: reason)))
        #expect((try? versions[1].bundle.get().backend) == "xgboost")
        #expect(messages(scan) == ["error: models/m/1: \(reason)"])
    }

    @Test func backendKeyChoosesAmongSeveralModelFiles() throws {
        try repo.write("m/model.yaml", "backend: onnx")
        try repo.write("m/1/model.json")
        try repo.write("m/1/model.onnx")
        let bundle = try #require(try scan().models.first?.versions.first?.bundle.get())
        #expect(bundle.backend == "onnx")
        #expect(bundle.file.hasSuffix("/m/1/model.onnx"))
    }

    @Test func versionWithoutAModelFileIsAnError() throws {
        try repo.write("m/1/weights.bin")
        try repo.write("n/model.yaml", "backend: lightgbm")
        try repo.write("n/1/model.json")
        let scan = scan()
        #expect(messages(scan) == [
            "error: models/m/1: no model file (expected one of: model.json, model.ubj, model.bst, xgboost.json, xgboost.ubj, xgboost.model, model.txt, model.onnx)",
            "error: models/n/1: no model file for backend lightgbm (expected one of: model.txt)",
        ])
    }

    @Test func modelWithoutVersionsIsAnError() throws {
        try repo.makeFolder("empty")
        try repo.write("only-config/model.yaml", "warmup: false")
        let scan = scan()
        #expect(scan.models.map(\.name) == ["empty", "only-config"])
        #expect(scan.models.allSatisfy { $0.versions.isEmpty })
        #expect(messages(scan) == [
            "error: models/empty: has no version folders",
            "error: models/only-config: has no version folders",
        ])
        #expect(scan.hasErrors)
    }

    @Test func brokenModelConfigKeepsTheModelListedWithItsReason() throws {
        try repo.write("bad/model.yaml", "version_policy: {latest: 0}")
        try repo.write("bad/1/model.json")
        try repo.write("good/1/model.json")
        let scan = scan()
        #expect(scan.models.map(\.name) == ["bad", "good"])
        let bad = scan.models[0]
        let expected = ConfigError(
            file: "\(repo.root)/bad/model.yaml", keyPath: "version_policy.latest", reason: "must be a positive integer")
        #expect(bad.config == .failure(expected))
        #expect(bad.versions.first?.bundle == .failure(BundleError(reason: expected.description)))
        #expect(messages(scan) == ["error: models/bad/model.yaml: version_policy.latest: must be a positive integer"])
        #expect((try? scan.models[1].versions.first?.bundle.get()) != nil)
    }

    @Test func versionConfigOverridesTheSignatureForThatVersionOnly() throws {
        try repo.write("m/model.yaml", "inputs: [{name: x, datatype: FP32, shape: [-1, 3]}]")
        try repo.write("m/1/model.json")
        try repo.write("m/2/model.json")
        try repo.write("m/2/model.yaml", "inputs: [{name: x, datatype: FP32, shape: [-1, 4]}]")
        try repo.write("m/3/model.json")
        try repo.write("m/3/model.yaml", "inputs: [{name: x, datatype: FP32, shape: [-1, -3]}]")
        let scan = scan()
        let versions = try #require(scan.models.first?.versions)
        #expect(try versions[0].bundle.get().config.inputs.first?.shape == [-1, 3])
        #expect(try versions[1].bundle.get().config.inputs.first?.shape == [-1, 4])
        let reason = "\(repo.root)/m/3/model.yaml: inputs[0].shape[1]: must be an integer >= -1 (-1 means any size)"
        #expect(versions[2].bundle == .failure(BundleError(reason: reason)))
        #expect(messages(scan) == [
            "error: models/m/3/model.yaml: inputs[0].shape[1]: must be an integer >= -1 (-1 means any size)"
        ])
    }

    @Test func labelsAndPoliciesNamingMissingVersionsWarn() throws {
        try repo.write("m/model.yaml", "labels: {stable: 1, canary: 5}\nversion_policy: {specific: [1, 2]}")
        try repo.write("m/1/model.json")
        #expect(messages(scan()) == [
            "warning: models/m/model.yaml: labels.canary: version 5 is not in the repository",
            "warning: models/m/model.yaml: version_policy.specific: version 2 is not in the repository",
        ])
    }

    @Test func missingRepositoryIsAnError() {
        let scan = RepositoryScanner(root: "\(repo.root)/nowhere", backends: .likeStandard()).scan()
        #expect(scan.models.isEmpty)
        #expect(scan.findings == [Finding(.error, "\(repo.root)/nowhere", "is not a readable folder")])
    }

    @Test func trailingSlashDoesNotChangeThePaths() throws {
        try repo.write("m/1/model.json")
        let scan = RepositoryScanner(root: repo.root + "//", backends: .likeStandard()).scan()
        #expect(scan.models.first?.directory == "\(repo.root)/m")
    }
}
