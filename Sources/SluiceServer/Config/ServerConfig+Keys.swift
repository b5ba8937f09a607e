import Logging
package import SluiceCore
import SluiceHTTP

extension ServerConfig {
    /// Every key of `sluice.yaml`, once: its path, the field it sets, its kind and one line of
    /// documentation. The known keys, the `SLUICE_*` variables, the flags' parsing and README's
    /// table of keys all come from here; the defaults are the fields' own.
    ///
    /// To add a key: (1) the field, with its default, in the settings type of the layer that uses
    /// it (`HTTPLimits`, `HTTP2Settings`, `ContentCoding.Settings`, or `ServerConfig` itself);
    /// (2) its line here; (3) the row it adds to README.md's table, which `swift test --filter
    /// readmeListsEveryConfigKey` prints when the README lags behind.
    package static let table = ConfigTable<ServerConfig>(variablePrefix: "SLUICE_", keys: [
        .init("host", \.host, .string, "address to listen on"),
        .init("port", \.port, .int(in: 0...65535), "HTTP port; 0 = any free port"),
        .init("threads", \.threads, .int(in: 0...1024), "event loops; 0 = one per core"),
        .init("models", \.models, .string, "the model repository folder"),
        .init("model_name", \.modelName,
              .optionalString(where: RepositoryScanner.isValidName, "must match [a-zA-Z0-9_.-]{1,128}, or be null"),
              "single-model mode: serve `model_dir` as this one model instead of `models` (see \"Model repository and bundles\")"),
        .init("model_dir", \.modelDir, .optionalString,
              "single-model mode: the model's folder (its model file is version 1, numeric subfolders are versions); needs `model_name`"),
        .init("routes", \.routes, .optionalString,
              "traffic routes file (`config/routes.yaml` when it exists and this is not set, outside single-model mode); null = none"),
        .init("poll_interval", \.pollInterval, .seconds,
              "how often the repository is rescanned and the routes file re-read; 0 = neither (models load at start-up and on the repository API)"),
        .init("tls", \.tlsEnabled, .section, "null = cleartext only; the keys below open a TLS listener (see \"TLS\")"),
        .init("tls.port", \.tlsSettings.port, .int(in: 0...65535), "TLS port, which must differ from `port`"),
        .init("tls.cert", \.tlsSettings.cert, .string, "PEM certificate chain, leaf first (required with TLS)"),
        .init("tls.key", \.tlsSettings.key, .string, "PEM private key of the leaf (required with TLS)"),
        .init("tls.client_ca", \.tlsSettings.clientCA, .optionalString,
              "PEM CA bundle: set = every client must present a certificate it signed (mTLS)"),
        .init("compression.enabled", \.compression.enabled, .bool,
              "false: answers go out as they are (request bodies are still decoded; see \"Compression\")"),
        .init("compression.min_bytes", \.compression.minBytes, .int(in: 0...Int(Int32.max)),
              "smaller answers are not compressed"),
        .init("compression.level", \.compression.level, .int(in: 1...9), "zlib level 1 (fastest) … 9 (smallest)"),
        .init("admin.token_file", \.adminTokenFile, .optionalString,
              "bearer token file of the repository and routes APIs; null = they answer 403"),
        .init("limits.max_header_bytes", \.limits.maxHeaderBytes, .size(), "beyond: 431"),
        .init("limits.max_body_bytes", \.limits.maxBodyBytes, .size(),
              "beyond: 413, refused before the body is read when announced"),
        .init("limits.header_timeout", \.limits.headerTimeout, .nanoseconds, "first byte to complete head, else 408"),
        .init("limits.body_timeout", \.limits.bodyTimeout, .nanoseconds, "complete head to complete body, else 408"),
        .init("limits.idle_timeout", \.limits.idleTimeout, .nanoseconds, "a keep-alive connection idle this long is closed quietly"),
        .init("limits.send_timeout", \.limits.sendTimeout, .nanoseconds,
              "a client that takes none of our bytes this long is reset (an HTTP/2 answer its window holds back: that stream)"),
        .init("limits.max_connections", \.limits.maxConnections, .int(in: 1...1_000_000),
              "beyond: the new connection is closed at once; capped to what the open-file limit allows (below)"),
        .init("limits.max_model_tensor_elements", \.modelLimits.maxTensorElements, .int(in: ModelLimits.maxTensorElementsRange),
              "ONNX: the most elements any tensor may have (stored, sent or computed); beyond: the load fails, or 400"),
        .init("limits.max_idle_workspace_bytes", \.modelLimits.maxIdleWorkspaceBytes, .size(in: 0...(1 << 40)),
              "ONNX: intermediates a model version keeps between requests, in all; a request that made more frees it"),
        .init("limits.grace_period", \.gracePeriod, .seconds, "SIGTERM/SIGINT: drain for at most this long, then exit 0"),
        .init("scheduling.inline_budget_us", \.scheduling.inlineBudgetMicros, .int(in: 0...60_000_000),
              "estimated compute above this runs on the worker pool (see \"Where inference runs\")"),
        .init("scheduling.workers", \.scheduling.workers, .int(in: 0...1024), "worker threads; 0 = one per core"),
        .init("scheduling.max_queue", \.scheduling.maxQueue, .int(in: 1...1_000_000),
              "waiting requests beyond this get 503 + Retry-After"),
        .init("scheduling.threads_per_inference", \.scheduling.threadsPerInference, .int(in: ModelConfig.threadsPerInferenceRange),
              "threads one costly request may use, for models whose `model.yaml` does not set `threads_per_inference` (and that can be sliced; see \"Where inference runs\")"),
        .init("http2.enabled", \.http2.enabled, .bool,
              "h2c on `port`; false: HTTP/1.1 only (the preface gets 505, `Upgrade: h2c` is ignored)"),
        .init("http2.max_concurrent_streams", \.http2.maxConcurrentStreams, .int(in: 1...1_000_000),
              "requests one connection may have open at once"),
        .init("http2.initial_window_size", \.http2.initialWindowSize,
              .size(in: HTTP2Settings.windowSizeRange, outside: "must be at most 2147483647 bytes (RFC 9113 §6.5.2)"),
              "per stream, and for the whole connection"),
        .init("http2.max_frame_size", \.http2.maxFrameSize,
              .size(in: HTTP2Settings.frameSizeRange, outside: "must be between 16KiB and 16777215 bytes (RFC 9113 §6.5.2)"),
              "the largest frame payload accepted"),
        .init("access_log", \.accessLog, .bool, "true: one JSON line per request"),
        .init("log_level", \.logLevel, .oneOf(Logger.Level.allCases.map(\.rawValue)), "the least severe level logged"),
        .init("log_format", \.logFormat, .oneOf(LogFormat.allCases.map(\.rawValue)),
              "`json`: every log line one JSON object (time, level, message, the request's fields)"),
    ])

    /// `tls:` itself: a mapping opens a listener (whose files `checkTLS` then requires), null closes it.
    fileprivate var tlsEnabled: Bool {
        get { tls != nil }
        set { tls = newValue ? tlsSettings : nil }
    }

    /// What the `tls.*` keys write: the TLS settings in force, or a new listener's with its files
    /// still to be named (`checkTLS` refuses a source that leaves them so).
    fileprivate var tlsSettings: TLS {
        get { tls ?? TLS(cert: "", key: "") }
        set { tls = newValue }
    }
}
