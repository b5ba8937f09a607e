package import SluiceCore

extension ServerConfig {
    /// Reads `file` over the current settings, with the keys of `table`. Called by `resolve` (and
    /// tests) on the main thread. Throws `ConfigError` naming the file, key and reason.
    package mutating func apply(file: String) throws(ConfigError) {
        try Self.table.apply(contentsOf: file, to: &self)
        try checkTLS(file)
    }

    /// Applies `SLUICE_<KEY>` variables (e.g. `SLUICE_PORT=9000`, `SLUICE_LIMITS_MAX_BODY_BYTES=1MiB`);
    /// an unknown `SLUICE_` variable is refused like an unknown key.
    package mutating func apply(environment: [String: String]) throws(ConfigError) {
        let source = "environment (SLUICE_*)"
        try Self.table.apply(environment: environment, source: source, to: &self)
        try checkTLS(source)
    }

    /// Single-model mode takes both keys, and its folder replaces the repository: `models` set
    /// beside `model_dir` would be a key accepted and ignored. Checked once every source is read,
    /// since each may give one of them; errors name the key that is missing or in the way.
    func checkSingleModel() throws(ConfigError) {
        let source = "configuration"
        switch (modelName, modelDir) {
        case (nil, nil):
            return
        case (_?, nil):
            throw ConfigError(file: source, keyPath: "model_dir", reason: "required with model_name: the folder of the one model to serve")
        case (nil, _?):
            throw ConfigError(file: source, keyPath: "model_name", reason: "required with model_dir: the name to serve that folder's model as")
        case (_?, _?):
            guard models == ServerConfig().models else {
                throw ConfigError(
                    file: source, keyPath: "models",
                    reason: "not read in single-model mode (model_dir \(modelDir ?? "")): serve the repository or one model's folder, not both")
            }
        }
    }

    /// Where the models come from: the repository folder `models`, or in single-model mode the
    /// one model's folder. `Server` and `sluice validate` both ask here.
    package func modelSource(backends: BackendRegistry) -> any ModelSource {
        if let modelName, let modelDir { return SingleModelSource(name: modelName, directory: modelDir, backends: backends) }
        return RepositoryScanner(root: models, backends: backends)
    }

    /// A TLS listener needs both files: `source`, or one before it, must have named them.
    private func checkTLS(_ source: String) throws(ConfigError) {
        guard let tls else { return }
        if tls.cert.isEmpty { throw ConfigError(file: source, keyPath: "tls.cert", reason: "required: the PEM certificate chain file") }
        if tls.key.isEmpty { throw ConfigError(file: source, keyPath: "tls.key", reason: "required: the PEM private key file") }
    }
}
