/// One model folder as a poll saw it: the scan's verdicts plus what the lifecycle needs to judge
/// a version's files (fingerprint, checksums). Built by the model manager from a
/// `RepositoryScan` on the polling thread and handed to `ModelLifecycle` as plain data, so the
/// state machine itself never touches the disk.
package struct ObservedModel: Sendable {
    package var name: String
    package var config: Result<ModelConfig, ConfigError>
    /// Every version folder, ascending.
    package var versions: [ObservedVersion]

    package init(name: String, config: Result<ModelConfig, ConfigError>, versions: [ObservedVersion]) {
        self.name = name
        self.config = config
        self.versions = versions
    }
}

/// One version folder as a poll saw it.
package struct ObservedVersion: Sendable {
    package var version: Int
    /// The loadable bundle, or why the folder cannot be loaded.
    package var bundle: Result<VersionBundle, BundleError>
    package var fingerprint: VersionFingerprint
    /// Checked only for versions the policy aspires to; `.absent` for the others (they are not
    /// loaded, so hashing them would be wasted reads).
    package var checksums: ChecksumStatus

    package init(
        version: Int, bundle: Result<VersionBundle, BundleError>, fingerprint: VersionFingerprint,
        checksums: ChecksumStatus = .absent
    ) {
        self.version = version
        self.bundle = bundle
        self.fingerprint = fingerprint
        self.checksums = checksums
    }
}
