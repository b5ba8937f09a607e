package import SluiceCore

/// The flags of `sluice serve` / `sluice validate`, as the command line parsed them; nil = not given.
package struct CommandLineOverrides: Sendable {
    package var config: String?
    package var models: String?
    package var routes: String?
    package var host: String?
    package var port: Int?
    package var threads: Int?
    package var pollInterval: Double?
    package var logLevel: String?

    package init(
        config: String? = nil, models: String? = nil, routes: String? = nil, host: String? = nil, port: Int? = nil,
        threads: Int? = nil, pollInterval: Double? = nil, logLevel: String? = nil
    ) {
        self.config = config
        self.models = models
        self.routes = routes
        self.host = host
        self.port = port
        self.threads = threads
        self.pollInterval = pollInterval
        self.logLevel = logLevel
    }
}

extension ServerConfig {
    /// Defaults → `--config` file (or `config/sluice.yaml` when it exists) → `SLUICE_*` → flags.
    /// Called once by the command line. Throws `ConfigError` for a bad file, variable or flag.
    package static func resolve(_ flags: CommandLineOverrides, environment: [String: String], fileExists: (String) -> Bool) throws(ConfigError) -> ServerConfig {
        var config = ServerConfig()
        if fileExists("config/routes.yaml") { config.routes = "config/routes.yaml" }
        if let file = flags.config {
            guard fileExists(file) else { throw ConfigError(file: file, keyPath: "", reason: "no such file (from --config)") }
            try config.apply(file: file)
        } else if fileExists("config/sluice.yaml") {
            try config.apply(file: "config/sluice.yaml")
        }
        try config.apply(environment: environment)
        if let v = flags.models { config.models = v }
        if let v = flags.routes { config.routes = v }
        if let v = flags.host { config.host = v }
        if let v = flags.port {
            guard (0...65535).contains(v) else { throw ConfigError(file: "command line", keyPath: "--port", reason: "must be between 0 and 65535") }
            config.port = v
        }
        if let v = flags.threads {
            guard (0...1024).contains(v) else { throw ConfigError(file: "command line", keyPath: "--threads", reason: "must be between 0 and 1024") }
            config.threads = v
        }
        if let v = flags.pollInterval {
            guard v >= 0, v.isFinite else { throw ConfigError(file: "command line", keyPath: "--poll-interval", reason: "must be zero or more seconds") }
            config.pollInterval = v
        }
        if let v = flags.logLevel { config.logLevel = v }
        return config
    }
}
