import Foundation
import SluiceCore
import Testing
@testable import SluiceServer

private func resolve(_ flags: CommandLineOverrides, _ environment: [String: String] = [:]) throws(ConfigError) -> ServerConfig {
    try ServerConfig.resolve(flags, environment: environment, fileExists: { _ in false })
}

@Test(arguments: [("5s", 5.0), ("5", 5), ("250ms", 0.25), ("2m", 120), ("0", 0)])
func pollIntervalFlagTakesTheSyntaxOfTheConfigKey(_ text: String, _ seconds: Double) throws {
    #expect(try resolve(CommandLineOverrides(pollInterval: text)).pollInterval == seconds)
    #expect(try resolve(CommandLineOverrides(), ["SLUICE_POLL_INTERVAL": text]).pollInterval == seconds)
}

@Test func logLevelFlagIsCheckedLikeTheConfigKey() throws {
    #expect(try resolve(CommandLineOverrides(logLevel: "debug")).logLevel == "debug")
    #expect(throws: ConfigError(file: "command line", keyPath: "--log-level",
                                reason: "must be one of trace, debug, info, notice, warning, error, critical")) {
        try resolve(CommandLineOverrides(logLevel: "loud"))
    }
}

@Test(arguments: [
    (CommandLineOverrides(pollInterval: "soon"), "command line: --poll-interval: must be a duration like 500ms, 30s, 2m or 1h"),
    (CommandLineOverrides(pollInterval: "-1"), "command line: --poll-interval: must be a duration like 500ms, 30s, 2m or 1h"),
    (CommandLineOverrides(port: "70000"), "command line: --port: must be between 0 and 65535"),
    (CommandLineOverrides(threads: "many"), "command line: --threads: must be an integer"),
    // Values that would overflow the clocks' integers later are refused here.
    (CommandLineOverrides(pollInterval: "1e17"), "command line: --poll-interval: must be at most a year (8760h)"),
    (CommandLineOverrides(pollInterval: "1e308h"), "command line: --poll-interval: must be at most a year (8760h)"),
])
func badFlagsNameTheFlagAndTheReason(_ flags: CommandLineOverrides, _ message: String) {
    do {
        _ = try resolve(flags)
        Issue.record("\(flags) was accepted")
    } catch {
        #expect(error.description == message)
    }
}

@Test(arguments: [
    (["SLUICE_LIMITS_MAX_BODYBYTES": "1"], "environment (SLUICE_*): limits.max_bodybytes: unknown key (expected one of: "),
    (["SLUICE_PROT": "1"], "environment (SLUICE_*): prot: unknown key (expected one of: host, port, "),
    (["SLUICE_LOG_LEVEL": "loud"], "environment (SLUICE_*): log_level: must be one of trace, "),
    (["SLUICE_LIMITS": "1"], "environment (SLUICE_*): limits: must be a mapping"),
    (["SLUICE_TLS_PORT": "8443"], "environment (SLUICE_*): tls.cert: required"),
    (["SLUICE_LIMITS_MAX_BODY_BYTES": "9223372036854775807"], "environment (SLUICE_*): limits.max_body_bytes: must be at most 1TiB"),
    (["SLUICE_LIMITS_GRACE_PERIOD": "1e300"], "environment (SLUICE_*): limits.grace_period: must be at most a year"),
    (["SLUICE_LIMITS_IDLE_TIMEOUT": "9000h"], "environment (SLUICE_*): limits.idle_timeout: must be at most a year"),
])
func badVariablesNameTheKeyAndTheReason(_ environment: [String: String], _ prefix: String) {
    do {
        _ = try resolve(CommandLineOverrides(), environment)
        Issue.record("\(environment) was accepted")
    } catch {
        #expect(error.description.hasPrefix(prefix), "\(error)")
    }
}

@Test func everyKeyHasAVariableThatReadsItsDefaultBack() throws {
    var environment: [String: String] = [:]
    for key in ServerConfig.table.keys {
        environment[ServerConfig.table.variable(key.path)] = key.show(ServerConfig())
    }
    #expect(Set(environment.keys).count == ServerConfig.table.keys.count)
    environment["SLUICE_TLS_CERT"] = "tls.crt"
    environment["SLUICE_TLS_KEY"] = "tls.key"
    var expected = ServerConfig()
    expected.tls = .init(cert: "tls.crt", key: "tls.key")
    #expect(try resolve(CommandLineOverrides(), environment) == expected)
}

@Test func aKeyGivenTwiceIsRefused() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(UUID().uuidString).yaml").path
    try Data("port: 1\nport: 2\n".utf8).write(to: URL(fileURLWithPath: path))
    var config = ServerConfig()
    #expect(throws: ConfigError(file: path, keyPath: "port", reason: "duplicate key")) { try config.apply(file: path) }
}

@Test func readmeListsEveryConfigKey() throws {
    let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md")
    let text = try String(contentsOf: readme, encoding: .utf8)
    let table = ServerConfig.table.markdown(defaults: ServerConfig())
    let upToDate = text.contains(table)
    #expect(upToDate, """
        README.md's table of config keys differs from ServerConfig.table; replace the table under \
        "## Configuration" with:
        \(table)
        """)
}
