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

@Test func theDefaultThreadsPerInferenceComesFromTheEnvironmentOverTheFile() throws {
    #expect(try resolve(CommandLineOverrides()).scheduling.threadsPerInference == 1)
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(UUID().uuidString).yaml").path
    try Data("scheduling: {threads_per_inference: 2}\n".utf8).write(to: URL(fileURLWithPath: file))
    defer { try? FileManager.default.removeItem(atPath: file) }
    var flags = CommandLineOverrides()
    flags.config = file
    let fromFile = try ServerConfig.resolve(flags, environment: [:], fileExists: { $0 == file })
    #expect(fromFile.scheduling.threadsPerInference == 2)
    let environment = ["SLUICE_SCHEDULING_THREADS_PER_INFERENCE": "4"]
    #expect(try ServerConfig.resolve(flags, environment: environment, fileExists: { $0 == file }).scheduling.threadsPerInference == 4)
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
    (["SLUICE_SCHEDULING_THREADS_PER_INFERENCE": "65"],
     "environment (SLUICE_*): scheduling.threads_per_inference: must be between 1 and 64"),
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

@Test func kubernetesServiceLinksOfSluiceServicesAreNoSettings() throws {
    // SLUICE_PORT=tcp://10.96.0.12:8080 and friends change nothing; the settings around them count.
    var environment = sluiceServiceLinks
    #expect(environment["SLUICE_PORT"] == "tcp://10.96.0.12:8080")
    environment["SLUICE_THREADS"] = "3"
    var expected = ServerConfig()
    expected.threads = 3
    #expect(try resolve(CommandLineOverrides(), environment) == expected)
    // A Service named sluice-tls writes SLUICE_TLS_PORT, which is also a key: its value decides.
    let tls = kubernetesServiceLinks(service: "sluice-tls", clusterIP: "10.96.0.15", ports: [("", 8443)])
    #expect(try resolve(CommandLineOverrides(), tls) == ServerConfig())
    #expect(try resolve(CommandLineOverrides(), ["SLUICE_PORT": "9000"].merging(tls) { a, _ in a }).port == 9000)
}

@Test func aTypoBesideServiceLinksIsStillRefusedWithItsKey() {
    let environment = sluiceServiceLinks.merging(["SLUICE_LIMTS_MAX_BODY_BYTES": "1MiB"]) { a, _ in a }
    do {
        _ = try resolve(CommandLineOverrides(), environment)
        Issue.record("the typo was accepted")
    } catch {
        #expect(error.description.hasPrefix("environment (SLUICE_*): limts_max_body_bytes: unknown key (expected one of: host, port, "),
                "\(error)")
    }
    #expect(throws: ConfigError.self) { try resolve(CommandLineOverrides(), ["SLUICE_PORT": "tcp://10.96.0.12"]) }
}

/// The rule passes a variable over by its value only for `…_PORT`; every other pattern is a name
/// no key may take, or a key's variable would vanish into it.
@Test(arguments: ["8080", "10.96.0.12", "tcp", "1"])
func noKeysVariableHasTheNameOfAServiceLink(_ value: String) {
    for key in ServerConfig.table.keys {
        let name = ServerConfig.table.variable(key.path).dropFirst("SLUICE_".count)
        #expect(!ServiceLink.matches(name, value: value), "\(key.path)")
    }
}

@Test func singleModelModeTakesBothKeysFromAnySource() throws {
    let flags = try resolve(CommandLineOverrides(modelName: "churn", modelDir: "/mnt/models"))
    #expect(flags.modelName == "churn" && flags.modelDir == "/mnt/models")
    let variables = try resolve(CommandLineOverrides(), ["SLUICE_MODEL_NAME": "churn", "SLUICE_MODEL_DIR": "/mnt/models"])
    #expect(variables == flags)
    let mixed = try resolve(CommandLineOverrides(modelName: "churn"), ["SLUICE_MODEL_DIR": "/mnt/models"])
    #expect(mixed == flags)
    #expect(flags.modelSource(backends: BackendRegistry([])) is SingleModelSource)
    #expect(try resolve(CommandLineOverrides()).modelSource(backends: BackendRegistry([])) is RepositoryScanner)
}

@Test(arguments: [
    (CommandLineOverrides(modelName: "churn"), "configuration: model_dir: required with model_name"),
    (CommandLineOverrides(modelDir: "/mnt/models"), "configuration: model_name: required with model_dir"),
    (CommandLineOverrides(modelName: "a/b", modelDir: "/mnt/models"),
     "command line: --model-name: must match [a-zA-Z0-9_.-]{1,128}, or be null"),
    (CommandLineOverrides(modelName: "..", modelDir: "/mnt/models"),
     "command line: --model-name: must match [a-zA-Z0-9_.-]{1,128}, or be null"),
    (CommandLineOverrides(models: "/srv/models", modelName: "churn", modelDir: "/mnt/models"),
     "configuration: models: not read in single-model mode"),
])
func singleModelSettingsThatDoNotGoTogetherAreRefused(_ flags: CommandLineOverrides, _ message: String) {
    do {
        _ = try resolve(flags)
        Issue.record("\(flags) was accepted")
    } catch {
        #expect(error.description.hasPrefix(message), "\(error)")
    }
}

@Test func theImplicitRoutesFileIsTheRepositorysNotASingleModels() throws {
    let routesExist: (String) -> Bool = { $0 == "config/routes.yaml" }
    func resolve(_ flags: CommandLineOverrides) throws -> ServerConfig {
        try ServerConfig.resolve(flags, environment: [:], fileExists: routesExist)
    }
    #expect(try resolve(CommandLineOverrides()).routes == "config/routes.yaml")
    #expect(try resolve(CommandLineOverrides(routes: "null")).routes == nil)
    let single = CommandLineOverrides(modelName: "churn", modelDir: "/mnt/models")
    #expect(try resolve(single).routes == nil)
    var named = single
    named.routes = "config/routes.yaml"
    #expect(try resolve(named).routes == "config/routes.yaml")
}
