package import SluiceCore
package import SluiceHTTP

/// The server's settings (README "Configuration"): defaults, then `config/sluice.yaml`, then `SLUICE_<KEY>`
/// environment variables, then command-line flags, each overriding the one before.
/// Built once at start-up on the main thread; read-only afterwards.
package struct ServerConfig: Sendable, Equatable {
    package var host = "0.0.0.0"
    package var port = 8080
    /// Event loops; 0 = one per core.
    package var threads = 0
    package var models = "models"
    /// Single-model mode (README "Model repository and bundles"): `modelDir` served as the one
    /// model `modelName` instead of the repository `models`. Both or neither (`resolve` checks).
    package var modelName: String?
    package var modelDir: String?
    package var routes: String?
    /// Seconds between repository polls; 0 = no polling.
    package var pollInterval: Double = 5
    package var adminTokenFile: String?
    package var accessLog = false
    package var logLevel = "info"
    /// `text` or `json` (`LogFormat`): how every log line is written.
    package var logFormat = LogFormat.text.rawValue
    /// `limits:` bar `grace_period` and `max_model_tensor_elements`: the HTTP layer's own settings type.
    package var limits = HTTPLimits()
    /// Seconds a SIGTERM/SIGINT drains in-flight requests before exiting (`limits.grace_period`).
    package var gracePeriod: Double = 30
    /// What any model may compute (`limits.max_model_tensor_elements`): the core's settings type,
    /// handed to every load by `BackendRegistry.loader(limits:)`.
    package var modelLimits = ModelLimits()
    package var scheduling = Scheduling()
    /// HTTP/2 on the cleartext listener (README "HTTP/2"): the HTTP layer's own settings type.
    package var http2 = HTTP2Settings()
    /// A TLS listener beside `port`; nil = cleartext only.
    package var tls: TLS?
    /// `compression:` (README "Compression"): the HTTP layer's own settings type.
    package var compression = ContentCoding.Settings()

    /// `tls:` (README "TLS"). Relative paths are relative to the working directory.
    package struct TLS: Sendable, Equatable {
        package var port = 8443
        package var cert: String
        package var key: String
        /// CA bundle for client certificates; set = every client must present one it signed.
        package var clientCA: String?

        package init(port: Int = 8443, cert: String, key: String, clientCA: String? = nil) {
            self.port = port
            self.cert = cert
            self.key = key
            self.clientCA = clientCA
        }
    }

    /// Where inference runs (README "Where inference runs").
    package struct Scheduling: Sendable, Equatable {
        /// A request whose estimated compute exceeds this many microseconds goes to the worker
        /// pool; cheaper ones run inline on their event loop.
        package var inlineBudgetMicros = 200
        /// Worker threads; 0 = one per core.
        package var workers = 0
        /// Requests waiting for a worker beyond which new ones get 503 + Retry-After.
        package var maxQueue = 1024
        /// `threads_per_inference` of the versions whose `model.yaml` does not set it
        /// (`ModelManager.defaultThreadsPerInference`).
        package var threadsPerInference = 1
    }

    package init() {}

    /// `logFormat` as its type (the key table has checked the text).
    package var format: LogFormat { LogFormat(rawValue: logFormat) ?? .text }
}
