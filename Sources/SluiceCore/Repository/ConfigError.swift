/// A configuration file Sluice refuses, with where and why: `file: keyPath: reason`, e.g.
/// `models/fraud/model.yaml: version_policy.latest: must be a positive integer`.
///
/// Thrown by every config reader (`ConfigReader`, `ConfigTable`): for `sluice.yaml`, `SLUICE_*`
/// and the flags at start-up, which it stops; for `model.yaml` (`ModelConfig.parse`,
/// `SignatureOverride.parse`) on whatever thread scans the repository, which keeps it on the model
/// or version it belongs to, so one broken file makes only its own model (or version) unavailable;
/// `sluice validate` prints it as a finding. Never shown to an inference client.
package struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file as the user named it (the repository path joined with the relative path), so the
    /// message points at something they can open.
    package var file: String
    /// Dotted path to the offending value, with list indices: `inputs[1].shape[0]`.
    /// Empty when the whole file is at fault (unreadable, not YAML, not a mapping).
    package var keyPath: String
    /// What is wrong, phrased as what the value must be.
    package var reason: String

    package init(file: String, keyPath: String, reason: String) {
        self.file = file
        self.keyPath = keyPath
        self.reason = reason
    }

    package var description: String {
        keyPath.isEmpty ? "\(file): \(reason)" : "\(file): \(keyPath): \(reason)"
    }
}
