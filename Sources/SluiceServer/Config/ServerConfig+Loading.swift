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

    /// A TLS listener needs both files: `source`, or one before it, must have named them.
    private func checkTLS(_ source: String) throws(ConfigError) {
        guard let tls else { return }
        if tls.cert.isEmpty { throw ConfigError(file: source, keyPath: "tls.cert", reason: "required: the PEM certificate chain file") }
        if tls.key.isEmpty { throw ConfigError(file: source, keyPath: "tls.key", reason: "required: the PEM private key file") }
    }
}
