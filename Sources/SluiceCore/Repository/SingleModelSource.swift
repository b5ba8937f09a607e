/// Single-model mode (`sluice serve --model-name NAME --model-dir DIR`, README "Model repository
/// and bundles"): one folder is one model, as KServe mounts a model's files at `/mnt/models`. The
/// model file at the top of the folder is version 1; numeric subfolders are versions as in a
/// repository's model folder, so a versioned layout is used as it is and a new numeric folder is a
/// new version. A `model.yaml` at the top is the model's (policy, labels, batching).
///
/// The `ModelSource` of a server in that mode; same contract as `RepositoryScanner`, whose
/// reading of a model folder it reuses.
package struct SingleModelSource: ModelSource {
    /// The model's name: `[a-zA-Z0-9_.-]{1,128}` (the config key checks it).
    package let name: String
    private let scanner: RepositoryScanner

    package init(name: String, directory: String, backends: BackendRegistry) {
        self.name = name
        scanner = RepositoryScanner(root: directory, backends: backends)
    }

    /// The model's folder, for the manager's log lines.
    package var location: String { scanner.root }

    package func scan() -> RepositoryScan {
        var scan = RepositoryScan()
        guard scanner.isDirectory(scanner.root) else {
            scan.findings.append(Finding(.error, scanner.root, "is not a readable folder"))
            return scan
        }
        scan.models.append(scanner.scanModel(named: name, at: scanner.root, filesAreVersion1: true, into: &scan))
        return scan
    }

    package func scan(model name: String) -> RepositoryScan {
        name == self.name ? scan() : RepositoryScan()
    }
}
