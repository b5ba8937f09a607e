/// What one scan of a model repository found: every model folder with its config and version
/// folders, and the findings (`sluice validate` prints them; the model manager logs them).
///
/// Produced by `RepositoryScanner.scan()` off the event loops; a plain value, read by the model
/// manager to decide what to load. A scan never throws: every problem is either a finding or is
/// attached to the model or version it concerns, so one bad folder cannot hide the others.
package struct RepositoryScan: Sendable {
    /// Valid model folders, sorted by name.
    package var models: [ScannedModel]
    /// Warnings and errors, in the order they were found (folder order, so stable across runs).
    package var findings: [Finding]

    package init(models: [ScannedModel] = [], findings: [Finding] = []) {
        self.models = models
        self.findings = findings
    }

    /// Whether any finding is an error: the exit status of `sluice validate`.
    package var hasErrors: Bool { findings.contains { $0.severity == .error } }
}

/// One model folder (`models/<name>/`). Its config failing to parse does not drop it: the model
/// stays listed so metadata and logs can say why it does not serve.
package struct ScannedModel: Sendable {
    package var name: String
    /// The folder's path (repository path joined with the name).
    package var directory: String
    /// The model-level `model.yaml` (defaults when there is none), or why it was refused.
    package var config: Result<ModelConfig, ConfigError>
    /// Every version folder (positive integer name), ascending, loadable or not.
    package var versions: [ScannedVersion]

    package init(
        name: String, directory: String, config: Result<ModelConfig, ConfigError>, versions: [ScannedVersion]
    ) {
        self.name = name
        self.directory = directory
        self.config = config
        self.versions = versions
    }
}

/// One version folder (`models/<name>/<version>/`) and whether it can be handed to a loader.
package struct ScannedVersion: Sendable {
    package var version: Int
    package var directory: String
    /// The model file and effective config, or why this folder cannot be loaded (no model file,
    /// two candidate files, a broken `model.yaml` here or at model level).
    package var bundle: Result<VersionBundle, BundleError>
    /// The folder also holds other versions (single-model mode's version 1 is the model's own
    /// folder): only the files directly in it are this version's.
    package var ownsTopLevelOnly: Bool

    package init(version: Int, directory: String, bundle: Result<VersionBundle, BundleError>, ownsTopLevelOnly: Bool = false) {
        self.version = version
        self.directory = directory
        self.bundle = bundle
        self.ownsTopLevelOnly = ownsTopLevelOnly
    }
}

/// A loadable version folder: which file, which backend, and the model config with this
/// version's own `model.yaml` applied.
package struct VersionBundle: Sendable, Equatable {
    /// Path of the model file (repository path joined with model, version and file name).
    package var file: String
    /// The registered backend that loads it.
    package var backend: String
    package var config: ModelConfig

    package init(file: String, backend: String, config: ModelConfig) {
        self.file = file
        self.backend = backend
        self.config = config
    }

    /// What the loader receives for this bundle.
    package var loadRequest: BackendLoadRequest {
        BackendLoadRequest(
            file: file, backend: backend, inputs: config.inputs, outputs: config.outputs,
            options: config.backendOptions[backend] ?? [:])
    }
}

/// Why a version folder cannot be loaded, as a sentence for logs and model metadata.
package struct BundleError: Error, Sendable, Equatable, CustomStringConvertible {
    package var reason: String
    package init(reason: String) { self.reason = reason }
    package var description: String { reason }
}

/// One line of `sluice validate`: `error: models/fraud/2: no model file (…)`.
package struct Finding: Sendable, Equatable, CustomStringConvertible {
    package enum Severity: String, Sendable {
        /// Something was ignored or looks wrong, but everything else serves.
        case warning
        /// A model or version will not serve.
        case error
    }

    package var severity: Severity
    /// The file or folder concerned, as the user would type it.
    package var path: String
    package var message: String

    package init(_ severity: Severity, _ path: String, _ message: String) {
        self.severity = severity
        self.path = path
        self.message = message
    }

    /// A config error as a finding; its text reads the same as the error's own description.
    package init(_ error: ConfigError) {
        self.init(.error, error.file, error.keyPath.isEmpty ? error.reason : "\(error.keyPath): \(error.reason)")
    }

    package var description: String { "\(severity.rawValue): \(path): \(message)" }
}
