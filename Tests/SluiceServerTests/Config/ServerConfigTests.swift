import Foundation
import SluiceCore
import SluiceHTTP
import Testing
@testable import SluiceServer

private func write(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(UUID().uuidString).yaml").path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

@Test func theBundledConfigReadsAsTheDefaults() throws {
    var config = ServerConfig()
    let bundled = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("config/sluice.yaml").path
    try config.apply(file: bundled)
    var expected = ServerConfig()
    expected.routes = config.routes
    #expect(config == expected)
}

@Test func sizesDurationsAndNestedKeysAreRead() throws {
    var config = ServerConfig()
    try config.apply(file: write("""
        port: 9000
        threads: 3
        poll_interval: 250ms
        limits: {max_header_bytes: 8KiB, max_body_bytes: 1MB, header_timeout: 2s, idle_timeout: 1m, max_connections: 5}
        scheduling: {inline_budget_us: 50, workers: 4, max_queue: 10, threads_per_inference: 2}
        """))
    #expect(config.port == 9000)
    #expect(config.threads == 3)
    #expect(config.pollInterval == 0.25)
    #expect(config.limits.maxHeaderBytes == 8192)
    #expect(config.limits.maxBodyBytes == 1_000_000)
    #expect(config.limits.headerTimeout == 2_000_000_000)
    #expect(config.limits.idleTimeout == 60_000_000_000)
    #expect(config.limits.maxConnections == 5)
    #expect(config.scheduling == .init(inlineBudgetMicros: 50, workers: 4, maxQueue: 10, threadsPerInference: 2))
}

@Test(arguments: [
    ("port: 70000", "port: must be between 0 and 65535"),
    ("prot: 8080", "prot: unknown key"),
    ("limits: {max_body_bytes: lots}", "limits.max_body_bytes: must be a positive size"),
    ("limits: {header_timeout: soon}", "limits.header_timeout: must be a duration"),
    ("limits: {max_bodybytes: 1}", "limits.max_bodybytes: unknown key"),
    ("host: [1, 2]", "host: must be a string"),
    ("tls: {port: 8443}", "tls.cert: required"),
    ("tls: {}", "tls.cert: required"),
    ("tls: {cert: a.crt}", "tls.key: required"),
    ("tls: {cert: a.crt, key: a.key, ca: x}", "tls.ca: unknown key"),
    ("compression: {level: 11}", "compression.level: must be between 1 and 9"),
    ("scheduling: {threads_per_inference: 0}", "scheduling.threads_per_inference: must be between 1 and 64"),
    ("scheduling: {threads_per_inference: 65}", "scheduling.threads_per_inference: must be between 1 and 64"),
    ("access_log: maybe", "access_log: must be true or false"),
    ("http2: {max_frame_size: 1KiB}", "http2.max_frame_size: must be between 16KiB and 16777215 bytes"),
    ("http2: {initial_window_size: 4GiB}", "http2.initial_window_size: must be at most 2147483647 bytes"),
    ("http2: {max_concurrent_streams: 0}", "http2.max_concurrent_streams: must be between 1 and 1000000"),
    ("http2: {window: 1}", "http2.window: unknown key"),
    ("- just\n- a list", "must be a mapping"),
    ("port: [", "not valid YAML"),
])
func badSettingsNameTheFileKeyAndReason(_ yaml: String, _ message: String) throws {
    let file = try write(yaml)
    var config = ServerConfig()
    do {
        try config.apply(file: file)
        Issue.record("\(yaml) was accepted")
    } catch {
        #expect(error.description.hasPrefix(file), "\(error)")
        #expect(error.description.contains(message), "\(error)")
    }
}

@Test func http2SettingsAreReadFromTheFileAndTheEnvironment() throws {
    var config = ServerConfig()
    #expect(config.http2.enabled)
    #expect(config.http2.maxConcurrentStreams == 100)
    #expect(config.http2.initialWindowSize == 1 << 20)
    #expect(config.http2.maxFrameSize == 16 << 10)
    try config.apply(file: write("http2: {enabled: false, max_concurrent_streams: 8, initial_window_size: 64KiB, max_frame_size: 32KiB}"))
    #expect(!config.http2.enabled)
    #expect(config.http2.maxConcurrentStreams == 8)
    #expect(config.http2.initialWindowSize == 64 << 10)
    #expect(config.http2.maxFrameSize == 32 << 10)
    try config.apply(environment: ["SLUICE_HTTP2_ENABLED": "true", "SLUICE_HTTP2_MAX_CONCURRENT_STREAMS": "20"])
    #expect(config.http2.enabled)
    #expect(config.http2.maxConcurrentStreams == 20)
}

@Test func tlsAndCompressionAreRead() throws {
    var config = ServerConfig()
    #expect(config.tls == nil)
    try config.apply(file: write("""
        tls: {port: 9443, cert: tls.crt, key: tls.key, client_ca: ca.crt}
        compression: {enabled: false, min_bytes: 2048, level: 6}
        """))
    #expect(config.tls == .init(port: 9443, cert: "tls.crt", key: "tls.key", clientCA: "ca.crt"))
    #expect(!config.compression.enabled && config.compression.minBytes == 2048 && config.compression.level == 6)
    try config.apply(environment: ["SLUICE_TLS_PORT": "9444", "SLUICE_COMPRESSION_ENABLED": "true"])
    #expect(config.tls?.port == 9444 && config.tls?.cert == "tls.crt")
    #expect(config.compression.enabled)
    try config.apply(file: write("tls: null"))
    #expect(config.tls == nil)
    // Variables alone are enough (the Docker example in the README).
    try config.apply(environment: ["SLUICE_TLS_PORT": "8443", "SLUICE_TLS_CERT": "certs/tls.crt", "SLUICE_TLS_KEY": "certs/tls.key"])
    #expect(config.tls == .init(port: 8443, cert: "certs/tls.crt", key: "certs/tls.key"))
}

@Test func environmentSitsBetweenTheFileAndTheFlags() throws {
    let file = try write("port: 9000\nhost: 127.0.0.1\nthreads: 1")
    let config = try ServerConfig.resolve(
        CommandLineOverrides(config: file, port: "9002"),
        environment: ["SLUICE_PORT": "9001", "SLUICE_THREADS": "2", "SLUICE_LIMITS_MAX_BODY_BYTES": "2MiB", "OTHER": "x"],
        fileExists: { FileManager.default.fileExists(atPath: $0) })
    #expect(config.port == 9002)
    #expect(config.threads == 2)
    #expect(config.host == "127.0.0.1")
    #expect(config.limits.maxBodyBytes == 2 << 20)
}

@Test func aBadEnvironmentVariableIsRefused() {
    #expect(throws: ConfigError.self) {
        try ServerConfig.resolve(CommandLineOverrides(), environment: ["SLUICE_PORT": "eighty"], fileExists: { _ in false })
    }
}

@Test func aMissingConfigFileNamedOnTheCommandLineIsAnError() {
    #expect(throws: ConfigError.self) {
        try ServerConfig.resolve(CommandLineOverrides(config: "/nonexistent.yaml"), environment: [:], fileExists: { _ in false })
    }
}

@Test func aConfigFileNestedThousandsDeepIsRefusedNamingTheFile() throws {
    let path = try write("limits: " + String(repeating: "{a: ", count: 5_000) + "1" + String(repeating: "}", count: 5_000))
    var config = ServerConfig()
    #expect(throws: ConfigError(file: path, keyPath: "", reason: "nested more than 64 levels deep")) {
        try config.apply(file: path)
    }
}
