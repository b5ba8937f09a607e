package import SluiceCore

/// The flags of `sluice serve` / `sluice validate` as typed; nil = not given. Every flag but
/// `--config` sets the config key of its name (`--poll-interval` sets `poll_interval`) and is
/// read exactly as that key's value would be, so `--poll-interval 5s` works like `poll_interval: 5s`.
package struct CommandLineOverrides: Sendable {
    package var config: String?
    package var models: String?
    package var modelName: String?
    package var modelDir: String?
    package var routes: String?
    package var host: String?
    package var port: String?
    package var threads: String?
    package var pollInterval: String?
    package var logLevel: String?

    package init(
        config: String? = nil, models: String? = nil, modelName: String? = nil, modelDir: String? = nil,
        routes: String? = nil, host: String? = nil, port: String? = nil, threads: String? = nil, pollInterval: String? = nil,
        logLevel: String? = nil
    ) {
        self.config = config
        self.models = models
        self.modelName = modelName
        self.modelDir = modelDir
        self.routes = routes
        self.host = host
        self.port = port
        self.threads = threads
        self.pollInterval = pollInterval
        self.logLevel = logLevel
    }

    /// The given flags by the key they set.
    var settings: [(key: String, text: String)] {
        let all: [(String, String?)] = [
            ("models", models), ("model_name", modelName), ("model_dir", modelDir), ("routes", routes), ("host", host),
            ("port", port), ("threads", threads), ("poll_interval", pollInterval), ("log_level", logLevel),
        ]
        return all.compactMap { key, text in text.map { (key, $0) } }
    }
}

extension ServerConfig {
    /// Defaults → `--config` file (or `config/sluice.yaml` when it exists) → `SLUICE_*` → flags.
    /// Called once by the command line. Throws `ConfigError` for a bad file, variable or flag, or
    /// settings that do not go together.
    package static func resolve(_ flags: CommandLineOverrides, environment: [String: String], fileExists: (String) -> Bool) throws(ConfigError) -> ServerConfig {
        let implicitRoutes = fileExists(defaultRoutes)
        var config = try layered(flags, environment: environment, fileExists: fileExists, routes: implicitRoutes ? defaultRoutes : nil)
        // `config/routes.yaml` goes with the repository (in the image: the demo's routes over the
        // bundled models), not with one model's folder: single-model mode reads routes only
        // when a source names them.
        if implicitRoutes, config.modelDir != nil {
            config = try layered(flags, environment: environment, fileExists: fileExists, routes: nil)
        }
        try config.checkSingleModel()
        return config
    }

    /// The routes file read when no source names one, if it exists (and not in single-model mode).
    static let defaultRoutes = "config/routes.yaml"

    /// Every source over the defaults, with `routes` as the default routes file.
    private static func layered(
        _ flags: CommandLineOverrides, environment: [String: String], fileExists: (String) -> Bool, routes: String?
    ) throws(ConfigError) -> ServerConfig {
        var config = ServerConfig()
        config.routes = routes
        if let file = flags.config {
            guard fileExists(file) else { throw ConfigError(file: file, keyPath: "", reason: "no such file (from --config)") }
            try config.apply(file: file)
        } else if fileExists("config/sluice.yaml") {
            try config.apply(file: "config/sluice.yaml")
        }
        try config.apply(environment: environment)
        for (key, text) in flags.settings {
            let flag = "--" + key.split(separator: "_").joined(separator: "-")
            try table.apply(text, to: key, source: "command line", as: flag, to: &config)
        }
        return config
    }
}
