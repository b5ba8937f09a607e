import Foundation
import SluiceBackends
import SluiceCore
import Testing

/// The file names other servers give tree models (KServe's xgbserver `model.bst`, Triton FIL's
/// `xgboost.json` / `xgboost.ubj` / `xgboost.model` / `model.txt`) found by the real repository
/// scanner and loaded by the real backends, end to end: scan, load, infer.
@Suite final class TreeFileNameTests {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-names-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Copies a fixture to models/<model>/1/<name> and scans the repository with the real registry.
    func scanned(_ library: String, _ fixture: String, as name: String, yaml: String? = nil) throws -> ScannedModel {
        let folder = root.appendingPathComponent("m/1")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: TreeFixture.path(library, fixture), toPath: folder.appendingPathComponent(name).path)
        if let yaml {
            try Data(yaml.utf8).write(to: root.appendingPathComponent("m/model.yaml"))
        }
        let scan = RepositoryScanner(root: root.path, backends: Backends.standard).scan()
        return try #require(scan.models.first)
    }

    @Test(arguments: [
        ("xgboost", "multi_softprob/model.ubj", "model.bst"),  // what xgboost 2.1+ writes to .bst: UBJSON
        ("xgboost", "multi_softprob/model.json", "model.bst"),
        ("xgboost", "multi_softprob/model.json", "xgboost.json"),
        ("xgboost", "multi_softprob/model.ubj", "xgboost.ubj"),
        ("xgboost", "multi_softprob/model.ubj", "xgboost.model"),
        ("lightgbm", "multiclass/model.txt", "model.txt"),
    ])
    func otherServersFileNamesLoadAndAnswer(_ library: String, _ fixture: String, _ name: String) throws {
        let model = try scanned(library, fixture, as: name)
        let bundle = try model.versions[0].bundle.get()
        #expect(bundle.backend == library)
        #expect(bundle.file.hasSuffix("/m/1/\(name)"))
        let backend = try Backends.standard.load(bundle.loadRequest)
        let reference = try TreeFixture(library, String(fixture.split(separator: "/")[0]))
        try reference.check(backend.infer([reference.inputTensor]), from: backend)
    }

    @Test func aRealBinaryModelBstIsFoundAndRefusedWithTheFix() throws {
        let model = try scanned("xgboost", "deprecated_binary/model.bst", as: "model.bst")
        let bundle = try model.versions[0].bundle.get()
        let error = #expect(throws: ServingError.self) { try Backends.standard.load(bundle.loadRequest) }
        guard case .loadFailure(let message) = error else { return }
        #expect(message.contains("re-saving it with XGBoost"), "\(message)")
    }

    @Test func modelYAMLsXGBoostSectionReachesTheBackend() throws {
        let model = try scanned(
            "xgboost", "early_stop_binary/model.json", as: "model.json", yaml: "xgboost: {iterations: all}\n")
        let bundle = try model.versions[0].bundle.get()
        #expect(bundle.loadRequest.options == ["iterations": "all"])
        let backend = try Backends.standard.load(bundle.loadRequest)
        let reference = try TreeFixture("xgboost", "early_stop_binary", expected: "expected_all.json")
        try reference.check(backend.infer([reference.inputTensor]), from: backend)
    }

    @Test func aSectionForAnotherBackendRefusesTheVersion() throws {
        let model = try scanned("lightgbm", "binary/model.txt", as: "model.txt", yaml: "xgboost: {iterations: all}\n")
        guard case .failure(let error) = model.versions[0].bundle else {
            Issue.record("expected the version to be refused")
            return
        }
        #expect(error.reason == "model.yaml has options for backend xgboost, but this version loads with lightgbm")
    }

    @Test func aSectionForABackendWithoutOptionsRefusesTheModelYAML() throws {
        let model = try scanned("lightgbm", "binary/model.txt", as: "model.txt", yaml: "lightgbm: {x: y}\n")
        guard case .failure(let error) = model.config else {
            Issue.record("expected the model.yaml to be refused")
            return
        }
        #expect(error.description.contains("lightgbm: backend lightgbm takes no options"), "\(error)")
    }
}
