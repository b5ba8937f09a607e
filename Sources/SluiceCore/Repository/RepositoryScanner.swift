import Foundation

/// Lists a model repository (README "Model repository and bundles") and says, for every model
/// folder, what could be loaded: the `ModelSource` of a server that serves a folder. It reads only;
/// loading is the manager's.
///
/// Called by the model manager (start-up, polls, the repository API; `sluice validate` too), on
/// a thread that may block on file I/O (never an event loop). A scan costs a few directory
/// listings and one small file read per `model.yaml`. It never throws: problems become
/// findings, and a broken folder is reported on the model or version it belongs to.
package struct RepositoryScanner: ModelSource {
    /// The repository folder as the user named it (`models`, `/srv/models`); paths in findings
    /// and errors start with it.
    package let root: String
    /// The backends of this build: which names `backend:` may take, which model files to seek.
    package let backends: BackendRegistry

    package init(root: String, backends: BackendRegistry) {
        self.backends = backends
        // `models/` and `models` must produce the same paths in messages.
        var root = root
        while root.count > 1, root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    /// The repository folder, for the manager's log lines.
    package var location: String { root }

    /// Whether `name` may be a model (or label) name: `[a-zA-Z0-9_.-]{1,128}`, not `.` or `..`.
    /// Names reach URLs and file paths, so anything that could climb out of a folder is refused.
    package static func isValidName(_ name: String) -> Bool {
        guard (1...128).contains(name.utf8.count), name != ".", name != ".." else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
                true
            default: false
            }
        }
    }

    /// What an entry of the repository folder is by its name alone, for scans and loads alike.
    private enum EntryName {
        /// Hidden: tooling, not a model (`.git`, editors' files, and Kubernetes' ConfigMap
        /// mounts `..data`, `..2024_01_01…`, which would otherwise pass the name rule). Skipped
        /// without a word, and refused by name as a folder that is not there.
        case hidden
        /// Outside `isValidName`: skipped with a warning.
        case invalid
        /// A model folder's name.
        case model

        init(_ entry: String) {
            self = entry.hasPrefix(".") ? .hidden : RepositoryScanner.isValidName(entry) ? .model : .invalid
        }
    }

    /// The version number a folder name denotes: a positive decimal integer without sign or
    /// leading zeros, so `7` and `007` can never be two folders for one version.
    package static func versionNumber(_ name: String) -> Int? {
        guard let first = name.utf8.first, first != UInt8(ascii: "0"),
            name.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let value = Int(name), value > 0
        else { return nil }
        return value
    }

    /// Scans the repository once. See the type's contract.
    package func scan() -> RepositoryScan {
        var scan = RepositoryScan()
        guard isDirectory(root) else {
            scan.findings.append(Finding(.error, root, "is not a readable folder"))
            return scan
        }
        for entry in listing(root, into: &scan) {
            let kind = EntryName(entry)
            if kind == .hidden { continue }
            let path = "\(root)/\(entry)"
            guard isDirectory(path) else { continue }  // a README beside the models is fine
            guard kind == .model else {
                scan.findings.append(Finding(.warning, path, "skipped: model names must match [a-zA-Z0-9_.-]{1,128}"))
                continue
            }
            scan.models.append(scanModel(named: entry, at: path, into: &scan))
        }
        return scan
    }

    /// Scans one model folder, for the repository API's load: `models` holds it, or is empty
    /// when there is no such folder or `scan()` would pass it over (a hidden folder, a name
    /// outside the rule). Same contract as `scan()`.
    package func scan(model name: String) -> RepositoryScan {
        var scan = RepositoryScan()
        let path = "\(root)/\(name)"
        guard EntryName(name) == .model, isDirectory(path) else { return scan }
        scan.models.append(scanModel(named: name, at: path, into: &scan))
        return scan
    }

    /// Scans one model folder. With `filesAreVersion1` (single-model mode, `SingleModelSource`),
    /// the model file at the top of the folder is version 1 beside the numeric version folders,
    /// unless a folder `1/` is there too (which wins, with a warning).
    func scanModel(
        named name: String, at path: String, filesAreVersion1: Bool = false, into scan: inout RepositoryScan
    ) -> ScannedModel {
        let configPath = "\(path)/model.yaml"
        let config: Result<ModelConfig, ConfigError>
        if FileManager.default.fileExists(atPath: configPath) {
            config = Result { () throws(ConfigError) in
                try ModelConfig.parse(contentsOf: configPath, backends: backends.names, options: backends.options)
            }
        } else {
            config = .success(ModelConfig())
        }
        if case .failure(let error) = config { scan.findings.append(Finding(error)) }

        var versions: [ScannedVersion] = []
        for entry in listing(path, into: &scan) where !entry.hasPrefix(".") {
            let versionPath = "\(path)/\(entry)"
            guard isDirectory(versionPath) else { continue }
            guard let number = Self.versionNumber(entry) else {
                scan.findings.append(Finding(.warning, versionPath, "ignored: version folders are positive integers"))
                continue
            }
            let bundle: Result<VersionBundle, BundleError>
            switch config {
            case .success(let modelConfig):
                bundle = scanVersion(at: versionPath, modelConfig: modelConfig, into: &scan)
            case .failure(let error):
                bundle = .failure(BundleError(reason: error.description))
            }
            versions.append(ScannedVersion(version: number, directory: versionPath, bundle: bundle))
        }
        if filesAreVersion1 {
            let top = modelFiles(at: path, modelConfig: (try? config.get()) ?? ModelConfig())
            if versions.contains(where: { $0.version == 1 }) {
                for file in top { scan.findings.append(Finding(.warning, "\(path)/\(file.file)", "ignored: folder 1/ is version 1")) }
            } else if !top.isEmpty || versions.isEmpty {
                let bundle: Result<VersionBundle, BundleError>
                switch config {
                case .success(let modelConfig):
                    // The folder's own model.yaml is the model's, not a version's override.
                    bundle = scanVersion(at: path, modelConfig: modelConfig, readsOverride: false, into: &scan)
                case .failure(let error):
                    bundle = .failure(BundleError(reason: error.description))
                }
                versions.append(ScannedVersion(version: 1, directory: path, bundle: bundle, ownsTopLevelOnly: true))
            }
        }
        versions.sort { $0.version < $1.version }
        if versions.isEmpty { scan.findings.append(Finding(.error, path, "has no version folders")) }
        if case .success(let modelConfig) = config {
            checkReferences(modelConfig, versions: versions.map(\.version), configPath: configPath, into: &scan)
        }
        return ScannedModel(name: name, directory: path, config: config, versions: versions)
    }

    /// Finds the model file of one version folder and applies the folder's own `model.yaml`.
    /// Adds an error finding when the folder cannot be loaded.
    private func scanVersion(
        at path: String, modelConfig: ModelConfig, readsOverride: Bool = true, into scan: inout RepositoryScan
    ) -> Result<VersionBundle, BundleError> {
        var config = modelConfig
        let overridePath = "\(path)/model.yaml"
        if readsOverride, FileManager.default.fileExists(atPath: overridePath) {
            do throws(ConfigError) {
                config = config.applying(try SignatureOverride.parse(contentsOf: overridePath, backends: backends.names))
            } catch {
                scan.findings.append(Finding(error))
                return .failure(BundleError(reason: error.description))
            }
        }
        let found = modelFiles(at: path, modelConfig: config)
        let expected = candidates(config).flatMap(\.fileNames).joined(separator: ", ")
        switch found.count {
        case 0:
            let backendNote = config.backend.map { " for backend \($0)" } ?? ""
            let reason = "no model file\(backendNote) (expected one of: \(expected))"
            scan.findings.append(Finding(.error, path, reason))
            return .failure(BundleError(reason: reason))
        case 1:
            if let reason = config.optionsRefusal(loadingWith: found[0].backend) {
                scan.findings.append(Finding(.error, path, reason))
                return .failure(BundleError(reason: reason))
            }
            return .success(VersionBundle(file: "\(path)/\(found[0].file)", backend: found[0].backend, config: config))
        default:
            let names = found.map(\.file).joined(separator: ", ")
            let reason = "two candidate model files (\(names)); keep one, or set backend: in model.yaml"
            scan.findings.append(Finding(.error, path, reason))
            return .failure(BundleError(reason: reason))
        }
    }

    /// The backends a folder's files are sought for: the one `backend:` names, or all.
    private func candidates(_ config: ModelConfig) -> [BackendFactory] {
        config.backend.map { name in backends.factories.filter { $0.name == name } } ?? backends.factories
    }

    /// The model files in `path` that a candidate backend reads, with that backend's name.
    private func modelFiles(at path: String, modelConfig: ModelConfig) -> [(file: String, backend: String)] {
        var found: [(file: String, backend: String)] = []
        for factory in candidates(modelConfig) {
            for file in factory.fileNames where isRegularFile("\(path)/\(file)") {
                found.append((file, factory.name))
            }
        }
        return found
    }

    /// Labels and specific policies that name versions the repository does not have still load
    /// the rest, but are almost always a mistake worth a warning.
    private func checkReferences(
        _ config: ModelConfig, versions: [Int], configPath: String, into scan: inout RepositoryScan
    ) {
        let present = Set(versions)
        for (label, version) in config.labels.sorted(by: { $0.key < $1.key }) where !present.contains(version) {
            scan.findings.append(Finding(.warning, configPath, "labels.\(label): version \(version) is not in the repository"))
        }
        if case .specific(let wanted) = config.versionPolicy {
            for version in wanted where !present.contains(version) {
                scan.findings.append(
                    Finding(.warning, configPath, "version_policy.specific: version \(version) is not in the repository"))
            }
        }
    }

    /// Entries of a folder, sorted so that scans and their findings are deterministic.
    private func listing(_ path: String, into scan: inout RepositoryScan) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        } catch {
            scan.findings.append(Finding(.error, path, "cannot be listed: \(error.localizedDescription)"))
            return []
        }
    }

    /// Follows symbolic links, because mounted repositories (Kubernetes volumes) are links.
    func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    private func isRegularFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
