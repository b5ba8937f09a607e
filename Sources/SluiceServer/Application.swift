import Dispatch
import Foundation
import Logging
import SluiceBackends
import SluiceCore
import SluiceNet
import Synchronization

/// The process around a `Server`: configuration, logging, signals and exit codes.
/// Called once by `main.swift` on the main thread.
package enum Application {
    /// `sluice serve`. Returns the process exit code: 0 after a clean shutdown, 1 for a bad
    /// configuration or a port that cannot be bound.
    package static func serve(_ flags: CommandLineOverrides) -> Int32 {
        let config: ServerConfig
        do {
            config = try ServerConfig.resolve(flags, environment: ProcessInfo.processInfo.environment,
                                              fileExists: { FileManager.default.fileExists(atPath: $0) })
        } catch {
            bootstrapLogging(level: .info)
            Logger(label: "sluice").critical("configuration error: \(error)")
            return 1
        }
        bootstrapLogging(level: Logger.Level(rawValue: config.logLevel) ?? .info, format: config.format)
        let logger = Logger(label: "sluice")
        // First SIGTERM/SIGINT: drain for at most grace_period, then exit 0. A second one: exit now.
        // SIGHUP: re-read the TLS certificate and key (connections stay; a bad file keeps the
        // old), ignored until the server runs. Installed before the server starts, so a signal
        // sent as soon as it logs "listening" is never lost; see `SignalPipe` for why not Dispatch.
        let events = DispatchSemaphore(value: 0)
        let signals = Atomic<Int>(0)
        let running = Box(Mutex<Server?>(nil))
        let pipe: SignalPipe
        do {
            pipe = try SignalPipe([SIGTERM, SIGINT, SIGHUP])
        } catch {
            logger.critical("cannot install signal handlers: \(error)")
            return 1
        }
        let watcher = Thread {
            while let sig = pipe.next() {
                if sig == SIGHUP {
                    running.value.withLock { $0 }?.reloadTLS()
                } else {
                    signals.add(1, ordering: .relaxed)
                    events.signal()
                }
            }
        }
        watcher.name = "sluice-signals"
        watcher.start()
        // Connections are descriptors: the soft limit (often 1024, kept for select(2) users)
        // would cap them long before limits.max_connections; Server caps to what remains.
        DescriptorLimit.raiseSoftToHard()
        let server: Server
        do {
            server = try Server(config: config, logger: logger)
            try server.start()
        } catch let error as ConfigError {
            // A TLS certificate or key that cannot be used is found here, not while reading the file.
            logger.critical("configuration error: \(error)")
            return 1
        } catch {
            logger.critical("cannot start: \(error)")
            return 1
        }
        running.value.withLock { $0 = server }
        events.wait()
        logger.info("signal received: not ready, listeners closed, draining for up to \(config.gracePeriod) s")
        let drained = Atomic<Bool>(false)
        DispatchQueue.global().async {
            server.shutdown(grace: config.gracePeriod)
            drained.store(true, ordering: .relaxed)
            events.signal()
        }
        events.wait()
        if !drained.load(ordering: .relaxed) {
            logger.warning("second signal: exiting without waiting for in-flight requests")
            return 1
        }
        logger.info("stopped")
        return 0
    }

    /// `sluice validate`: scans the repository and loads every aspired version (without serving),
    /// prints one line per finding, exits 1 when anything will not serve.
    package static func validate(_ flags: CommandLineOverrides) -> Int32 {
        let config: ServerConfig
        do {
            config = try ServerConfig.resolve(flags, environment: ProcessInfo.processInfo.environment,
                                              fileExists: { FileManager.default.fileExists(atPath: $0) })
        } catch {
            print("error: \(error)")
            return 1
        }
        let backends = Backends.standard
        let manager = ModelManager(
            source: config.modelSource(backends: backends), loader: backends.loader(limits: config.modelLimits),
            threadsPerInference: config.scheduling.threadsPerInference
        ) { _, _ in }
        let findings = manager.loadAll()
        var failed = false
        for finding in findings {
            print("\(finding.severity.rawValue): \(finding.description)")
            failed = failed || finding.severity == .error
        }
        for model in manager.snapshot.models {
            for version in model.versions {
                switch version.state {
                case .ready: print("ok: \(model.name) version \(version.version) (\(version.servable?.platform ?? ""))")
                case .unavailable(let reason):
                    print("error: \(model.name) version \(version.version): \(reason)")
                    failed = true
                default: break
                }
            }
            if model.versions.isEmpty {
                print("error: \(model.name): no version to serve")
                failed = true
            }
        }
        if let file = config.routes {
            do throws(ConfigError) {
                let routes = try RouteConfig.parseFile(contentsOf: file)
                let table = manager.snapshot
                for route in routes {
                    let problems = route.problems(in: table)
                    for problem in problems { print("error: \(file): \(problem)") }
                    if problems.isEmpty {
                        let arms = route.split.map { "\($0.target) \($0.weight) %" }.joined(separator: ", ")
                        print("ok: route \(route.name) over \(route.model) (\(arms))")
                    }
                    failed = failed || !problems.isEmpty
                }
            } catch {
                print("error: \(error)")
                failed = true
            }
        }
        print(failed ? "validation failed" : "validation passed")
        return failed ? 1 : 0
    }

    private static func bootstrapLogging(level: Logger.Level, format: LogFormat = .text) {
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}

/// A reference to a lock, for a signal handler that must exist before what it guards.
private final class Box: Sendable {
    let value: Mutex<Server?>
    init(_ value: consuming sending Mutex<Server?>) { self.value = value }
}
