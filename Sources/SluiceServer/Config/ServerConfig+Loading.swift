import Foundation
package import SluiceCore
import SluiceHTTP
import Yams

extension ServerConfig {
    /// The keys `sluice.yaml` and `SLUICE_<KEY>` accept, for error messages and the README.
    static let topLevelKeys = ["host", "port", "threads", "models", "routes", "poll_interval", "tls", "admin",
                               "limits", "access_log", "log_level", "scheduling", "compression", "http2"]

    /// Reads `file` over the defaults. Throws `ConfigError` naming the file, key and reason.
    package mutating func apply(file: String) throws(ConfigError) {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConfigError(file: file, keyPath: "", reason: "cannot read: \(error.localizedDescription)")
        }
        let root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch {
            throw ConfigError(file: file, keyPath: "", reason: "not valid YAML: \(error)")
        }
        guard let root else { return }
        guard let map = root as? [String: Any] else {
            throw ConfigError(file: file, keyPath: "", reason: "must be a mapping of settings")
        }
        let reader = SettingsReader(file: file, values: map)
        try apply(reader)
    }

    /// Applies `SLUICE_<KEY>` variables (e.g. `SLUICE_PORT=9000`, `SLUICE_LIMITS_MAX_BODY_BYTES=1MiB`).
    package mutating func apply(environment: [String: String]) throws(ConfigError) {
        var flat: [String: Any] = [:]
        var limits: [String: Any] = [:]
        var scheduling: [String: Any] = [:]
        var http2: [String: Any] = [:]
        var tls: [String: Any] = [:]
        var compression: [String: Any] = [:]
        for (name, value) in environment where name.hasPrefix("SLUICE_") {
            let key = name.dropFirst("SLUICE_".count).lowercased()
            if key.hasPrefix("limits_") {
                limits[String(key.dropFirst("limits_".count))] = value
            } else if key.hasPrefix("scheduling_") {
                scheduling[String(key.dropFirst("scheduling_".count))] = value
            } else if key.hasPrefix("http2_") {
                http2[String(key.dropFirst("http2_".count))] = value
            } else if key.hasPrefix("tls_") {
                tls[String(key.dropFirst("tls_".count))] = value
            } else if key.hasPrefix("compression_") {
                compression[String(key.dropFirst("compression_".count))] = value
            } else if key == "admin_token_file" {
                flat["admin"] = ["token_file": value]
            } else {
                flat[key] = value
            }
        }
        if !limits.isEmpty { flat["limits"] = limits }
        if !scheduling.isEmpty { flat["scheduling"] = scheduling }
        if !http2.isEmpty { flat["http2"] = http2 }
        if !tls.isEmpty { flat["tls"] = tls }
        if !compression.isEmpty { flat["compression"] = compression }
        let reader = SettingsReader(file: "environment (SLUICE_*)", values: flat, stringly: true)
        try apply(reader)
    }

    private mutating func apply(_ r: SettingsReader) throws(ConfigError) {
        try r.rejectUnknown(Self.topLevelKeys)
        if let v = try r.string("host") { host = v }
        if let v = try r.int("port", in: 0...65535) { port = v }
        if let v = try r.int("threads", in: 0...1024) { threads = v }
        if let v = try r.string("models") { models = v }
        if let v = try r.optionalString("routes") { routes = v }  // null clears the default
        if let v = try r.duration("poll_interval") { pollInterval = v }
        if let v = try r.bool("access_log") { accessLog = v }
        if let v = try r.string("log_level") {
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(v) else {
                throw r.error("log_level", "must be one of trace, debug, info, notice, warning, error, critical")
            }
            logLevel = v
        }
        if try !r.isPresentAndNotNull("tls") {
            if r.values["tls"] != nil { tls = nil }  // null turns it off
        } else if let t = try r.nested("tls") {
            try t.rejectUnknown(["port", "cert", "key", "client_ca"])
            guard let cert = try t.string("cert") ?? tls?.cert else { throw t.error("cert", "required: the PEM certificate chain file") }
            guard let key = try t.string("key") ?? tls?.key else { throw t.error("key", "required: the PEM private key file") }
            var settings = TLS(port: tls?.port ?? 8443, cert: cert, key: key, clientCA: tls?.clientCA)
            if let v = try t.int("port", in: 0...65535) { settings.port = v }
            if let v = try t.optionalString("client_ca") { settings.clientCA = v }
            tls = settings
        }
        if let c = try r.nested("compression") {
            try c.rejectUnknown(["enabled", "min_bytes", "level"])
            if let v = try c.bool("enabled") { compression.enabled = v }
            if let v = try c.int("min_bytes", in: 0...Int(Int32.max)) { compression.minBytes = v }
            if let v = try c.int("level", in: 1...9) { compression.level = v }
        }
        if let admin = try r.nested("admin") {
            try admin.rejectUnknown(["token_file"])
            if let v = try admin.optionalString("token_file") { adminTokenFile = v }
        }
        if let l = try r.nested("limits") {
            try l.rejectUnknown(["max_header_bytes", "max_body_bytes", "header_timeout", "body_timeout",
                                 "idle_timeout", "max_connections", "grace_period"])
            if let v = try l.size("max_header_bytes") { limits.maxHeaderBytes = v }
            if let v = try l.size("max_body_bytes") { limits.maxBodyBytes = v }
            if let v = try l.duration("header_timeout") { limits.headerTimeout = v }
            if let v = try l.duration("body_timeout") { limits.bodyTimeout = v }
            if let v = try l.duration("idle_timeout") { limits.idleTimeout = v }
            if let v = try l.int("max_connections", in: 1...1_000_000) { limits.maxConnections = v }
            if let v = try l.duration("grace_period") { limits.gracePeriod = v }
        }
        if let s = try r.nested("scheduling") {
            try s.rejectUnknown(["inline_budget_us", "workers", "max_queue"])
            if let v = try s.int("inline_budget_us", in: 0...60_000_000) { scheduling.inlineBudgetMicros = v }
            if let v = try s.int("workers", in: 0...1024) { scheduling.workers = v }
            if let v = try s.int("max_queue", in: 1...1_000_000) { scheduling.maxQueue = v }
        }
        if let h = try r.nested("http2") {
            try h.rejectUnknown(["enabled", "max_concurrent_streams", "initial_window_size", "max_frame_size"])
            if let v = try h.bool("enabled") { http2.enabled = v }
            if let v = try h.int("max_concurrent_streams", in: 1...1_000_000) { http2.maxConcurrentStreams = v }
            if let v = try h.size("initial_window_size") {
                guard HTTP2Settings.windowSizeRange.contains(v) else { throw h.error("initial_window_size", "must be at most 2147483647 bytes (RFC 9113 §6.5.2)") }
                http2.initialWindowSize = v
            }
            if let v = try h.size("max_frame_size") {
                guard HTTP2Settings.frameSizeRange.contains(v) else {
                    throw h.error("max_frame_size", "must be between 16KiB and 16777215 bytes (RFC 9113 §6.5.2)")
                }
                http2.maxFrameSize = v
            }
        }
    }
}
