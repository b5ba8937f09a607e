import ArgumentParser
import SluiceServer

/// The command line (README "Configuration") and nothing else: it parses flags into a
/// `ServerConfig` and hands over to `SluiceServer`.
@main
struct Sluice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A model-serving HTTP server: versioned model bundles over the Open Inference Protocol.",
        version: BuildInfo.version,
        subcommands: [Serve.self, Validate.self],
        defaultSubcommand: Serve.self)
}

/// The files `serve` and `validate` both read: settings, the repository (or one model's folder)
/// and the routes.
struct SourceOptions: ParsableArguments {
    @Option(help: "Server settings (YAML). Default: config/sluice.yaml when it exists.") var config: String?
    @Option(help: "Model repository folder. Default: models.") var models: String?
    @Option(name: .customLong("model-name"), help: "Single-model mode: serve (or check) --model-dir as this model (KServe).")
    var modelName: String?
    @Option(name: .customLong("model-dir"), help: "Single-model mode: the model's folder; its model file is version 1.")
    var modelDir: String?
    @Option(help: "Traffic routes (YAML). Default: config/routes.yaml when it exists (not in single-model mode).")
    var routes: String?
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the model repository.")

    @OptionGroup var sources: SourceOptions
    @Option(help: "Address to listen on. Default: 0.0.0.0.") var host: String?
    // Flags are taken as text and read by the config key of the same name (`ServerConfig.table`),
    // so they accept exactly what the file and the `SLUICE_*` variables accept.
    @Option(help: "Port to listen on (0 = any free port). Default: 8080.") var port: String?
    @Option(help: "Event loops (0 = one per core).") var threads: String?
    @Option(name: .customLong("poll-interval"), help: "Time between repository scans and routes-file reads: 5s, 500ms, 2m or seconds (0 = never).")
    var pollInterval: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.") var logLevel: String?

    func run() throws {
        let overrides = CommandLineOverrides(
            config: sources.config, models: sources.models, modelName: sources.modelName, modelDir: sources.modelDir,
            routes: sources.routes, host: host, port: port, threads: threads, pollInterval: pollInterval, logLevel: logLevel)
        throw ExitCode(Application.serve(overrides))
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the model bundles and configuration, print findings, exit 1 on an error.")

    @OptionGroup var sources: SourceOptions

    func run() throws {
        let overrides = CommandLineOverrides(
            config: sources.config, models: sources.models, modelName: sources.modelName, modelDir: sources.modelDir,
            routes: sources.routes)
        throw ExitCode(Application.validate(overrides))
    }
}
