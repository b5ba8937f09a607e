import CLinux
import Foundation
package import Logging
import SluiceBackends
package import SluiceCore
package import SluiceHTTP
import SluiceNet
import Synchronization

/// One Sluice server: the model manager, the data plane, the endpoints and the HTTP listeners,
/// wired together. Tests create one on `127.0.0.1:0`; the command line creates one per process.
///
/// `start()` blocks while the models load (before any listener accepts), then returns with
/// the loops running. `shutdown()` and `stop()` may be called from any thread.
package final class Server: Sendable {
    package let config: ServerConfig
    package let manager: ModelManager
    private let http: HTTPServer
    /// Every endpoint, behind the error boundary of `Endpoints.dispatch`.
    private let responder: EndpointResponder
    private let accepting: Flag
    private let poller = Mutex<Poller?>(nil)
    private let canaryDriver = Mutex<CanaryDriver?>(nil)
    /// The gRPC health watchers, told NOT_SERVING and let go at shutdown.
    private let health: HealthWatch
    /// Stopped last at shutdown, once no connection is left to answer.
    private let pool: WorkerPool
    /// The helpers of `threads_per_inference`, shared by every version.
    let intraOp: IntraOpPool
    /// Traffic routes (empty without a routes file; the admin API can add some).
    package let routes: Routes
    private let logger: Logger
    /// Kept to break, in `deinit`, the cycle its collectors make with `manager` and `routes`.
    private let registry: MetricsRegistry

    /// `loader`, after which what the load freed (the file's bytes, the parsed graph, constants
    /// a plan dropped, such as dense weights kept packed) goes back to the system: glibc keeps
    /// large freed blocks in the loading thread's arena, where the resident size would count
    /// them for as long as the server runs (bench/weights-memory.sh). On the loader thread,
    /// once per load.
    static func returningFreedMemory(_ loader: @escaping BackendLoader) -> BackendLoader {
        { request throws(ServingError) in
            defer { malloc_trim(0) }
            return try loader(request)
        }
    }

    /// Builds everything but binds nothing; `backends` are those the repository may use. Throws
    /// `SocketError` if the event loops cannot be made.
    package init(config: ServerConfig, logger: Logger = Logger(label: "sluice"), backends: BackendRegistry = Backends.standard) throws {
        self.config = config
        self.logger = logger
        let log = logger
        let registry = MetricsRegistry()
        self.registry = registry
        let serving = ServingMetrics(registry: registry)
        manager = ModelManager(
            source: config.modelSource(backends: backends),
            loader: Self.returningFreedMemory(backends.loader(limits: config.modelLimits)),
            pollInterval: .milliseconds(Int(config.pollInterval * 1000)),
            threadsPerInference: config.scheduling.threadsPerInference, metrics: serving
        ) { level, message in
            log.log(level: Self.logLevel(level), "\(message)")
        }
        let accepting = Flag()
        self.accepting = accepting
        let configs = try config.routes.map { file throws(ConfigError) in try RouteConfig.parseFile(contentsOf: file) } ?? []
        routes = Routes(
            file: config.routes, configs: configs, manager: manager, metrics: RoutingMetrics(serving: serving),
            now: { Date().timeIntervalSince1970 }
        ) { level, message in
            log.log(level: Self.logLevel(level), "\(message)")
        }
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let intraOp = IntraOpPool(sliceAboveNanos: config.scheduling.inlineBudgetMicros * 1000, helpers: cores - 1)
        self.intraOp = intraOp
        let dataPlane = DataPlane(
            manager: manager, metrics: serving, routes: routes, shadows: ShadowRunner(), intraOp: intraOp,
            isAccepting: { accepting.value })
        let pool = WorkerPool(
            threads: config.scheduling.workers > 0 ? config.scheduling.workers : cores, maxQueue: config.scheduling.maxQueue)
        self.pool = pool
        let scheduler = Scheduler(pool: pool, inlineBudgetNanos: config.scheduling.inlineBudgetMicros * 1000)
        let offload = Offload { job, writer in scheduler.offload(job, writer: writer) }
        var endpoints = Endpoints()
        let auth = try AdminAuth(tokenFile: config.adminTokenFile)
        V2Repository(manager: manager, auth: auth).register(in: &endpoints)
        RouteAdmin(routes: routes, auth: auth).register(in: &endpoints)
        V2Endpoints(dataPlane: dataPlane, scheduler: scheduler, serverVersion: BuildInfo.version).register(in: &endpoints)
        V1Endpoints(dataPlane: dataPlane, scheduler: scheduler).register(in: &endpoints)
        MetricsEndpoint(registry: registry).register(in: &endpoints)
        var grpc = Endpoints()
        GRPCInferenceService(dataPlane: dataPlane, scheduler: scheduler, auth: auth, serverVersion: BuildInfo.version)
            .register(in: &grpc)
        let healthService = GRPCHealth(dataPlane: dataPlane)
        let health = HealthWatch(status: healthService.watchedStatus)
        healthService.register(in: &grpc, watch: health)
        self.health = health
        var httpConfiguration = Self.httpConfiguration(config)
        if let tls = config.tls {
            // Both listeners set SO_REUSEPORT, so one port would bind twice and hand each
            // connection to TLS or cleartext at random.
            guard tls.port == 0 || tls.port != config.port else {
                throw ConfigError(
                    file: "configuration", keyPath: "tls.port",
                    reason: "must differ from port (both are \(config.port)): TLS and cleartext need listeners of their own")
            }
            httpConfiguration.tls = HTTPServer.TLS(port: tls.port, credentials: try Self.credentials(tls, http2: config.http2.enabled))
        }
        let logs = AccessLog(logger: logger, format: config.format)
        if config.accessLog { httpConfiguration.accessLog = logs.record }
        httpConfiguration.faultLog = logs.fault
        httpConfiguration.offload = offload
        httpConfiguration.acceptPaused = { loop, error, unreported in
            let since = unreported > 0 ? " (\(unreported) more pauses since the last warning)" : ""
            log.warning("loop \(loop) stopped accepting for \(AcceptPause.duration / 1_000_000) ms: \(error)\(since); raise the open-file limit (ulimit -n, LimitNOFILE) or lower limits.max_connections")
        }
        responder = EndpointResponder(endpoints: endpoints, grpc: grpc)
        http = try HTTPServer(configuration: httpConfiguration, responder: responder)
        if http.maxConnections < config.limits.maxConnections {
            let soft = DescriptorLimit.current()?.soft ?? 0
            logger.warning("limits.max_connections \(config.limits.maxConnections) capped to \(http.maxConnections): the open-file limit (RLIMIT_NOFILE) is \(soft) and \(soft - http.maxConnections) descriptors stay free for listeners, loops and model files")
        }
        BuildInfo.register(in: registry)
        MetricsEndpoint.registerCollectors(in: registry, manager: manager, http: http.stats)
        MetricsEndpoint.registerRouteCollectors(in: registry, routes: routes, manager: manager)
    }

    /// Answers `request` through the endpoints, as a connection would hand it over: the way
    /// tests reach every endpoint without a socket (`ResponseWriter(recorder:context:)`).
    package func respond(to request: Request, writer: ResponseWriter) {
        responder.respond(to: request, writer: writer)
    }

    /// Transport counters of the HTTP layer (read at scrape time).
    package var httpStats: HTTPStats { http.stats }

    /// The port the listeners are bound to (the kernel's pick when configured as 0).
    package var port: Int { http.port }

    /// Loads the repository (blocking), then binds the listeners and starts the loops.
    /// Readiness turns true once every model has a ready version. With `listening` false it
    /// does all of that but bind: the endpoints then answer only through `respond(to:writer:)`
    /// (tests with a recording writer).
    package func start(listening: Bool = true) throws {
        let started = DispatchTime.now().uptimeNanoseconds
        manager.loadAll()
        routes.refresh()
        let log = logger
        canaryDriver.withLock { $0 = CanaryDriver(routes: routes) { log.info("\($0)") } }
        if listening { try http.start() }
        accepting.value = true
        if config.pollInterval > 0 {
            let poller = Poller(manager: manager, routes: routes, interval: config.pollInterval)
            self.poller.withLock { $0 = poller }
        }
        let table = manager.snapshot
        let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        let summary = table.models.map { "\($0.name) \($0.readyVersions.map(String.init).joined(separator: ","))" }
        let tlsNote = config.tls == nil ? "" : " and TLS on \(config.host):\(tlsPort)"
        logger.info("sluice \(BuildInfo.version) listening on \(config.host):\(port)\(tlsNote) with \(table.models.count) models (\(summary.joined(separator: "; "))), ready=\(table.isReady) after \(String(format: "%.1f", ms)) ms")
    }

    deinit {
        // The collectors hold the manager and the routes, which own the registry: see
        // `MetricsRegistry.dropCollected`.
        registry.dropCollected()
        health.stop()
    }

    /// Graceful stop: readiness turns false, listeners close, idle connections close, busy ones
    /// after their answer. Returns when every connection is gone or `grace` seconds passed.
    package func shutdown(grace: Double) {
        accepting.value = false
        poller.withLock { $0?.stop() }
        canaryDriver.withLock { $0?.stop() }
        health.stop()
        http.shutdown()
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, grace) * 1e9)
        while http.openConnections > 0 && DispatchTime.now().uptimeNanoseconds < deadline {
            usleep(10_000)
        }
        http.stop()
        // What is still queued has no connection left to answer; what runs may finish.
        let end = DispatchTime(uptimeNanoseconds: max(deadline, DispatchTime.now().uptimeNanoseconds + 1_000_000_000))
        pool.stop(waitingUntil: end)
        intraOp.stop(waitingUntil: end)
    }

    /// Stops the loops at once.
    package func stop() {
        accepting.value = false
        poller.withLock { $0?.stop() }
        canaryDriver.withLock { $0?.stop() }
        health.stop()
        http.stop()
        intraOp.stop(waitingUntil: .now())
    }

    /// Re-reads the TLS certificate and key (what SIGHUP does). Open connections keep their
    /// sessions; on failure the old certificate stays and the error is logged and returned.
    /// Any thread; without TLS it returns nil and does nothing.
    @discardableResult
    package func reloadTLS() -> (any Error)? {
        guard let tls = config.tls else { return nil }
        do {
            try http.reloadTLS()
            logger.info("TLS certificate reloaded from \(tls.cert)")
            return nil
        } catch {
            let problem = Self.configError(error, tls)
            logger.error("TLS reload failed, keeping the previous certificate: \(problem)")
            return problem
        }
    }

    /// The TLS port (the kernel's pick when configured as 0); 0 without TLS.
    package var tlsPort: Int { http.tlsPort }

    /// Loads the certificate, key and client CA once at start-up; a bad file is a `ConfigError`
    /// naming it and why.
    private static func credentials(_ tls: ServerConfig.TLS, http2: Bool) throws(ConfigError) -> TLSCredentials {
        do {
            return try TLSCredentials(TLSContext.Configuration(
                certificateFile: tls.cert, keyFile: tls.key, clientCAFile: tls.clientCA, alpn: HTTPServer.alpnProtocols(http2: http2)))
        } catch {
            throw configError(error, tls)
        }
    }

    private static func configError(_ error: TLSError, _ tls: ServerConfig.TLS) -> ConfigError {
        let file = error.file ?? tls.cert
        let key = file == tls.key ? "tls.key" : file == tls.clientCA ? "tls.client_ca" : "tls.cert"
        return ConfigError(file: file, keyPath: key, reason: error.reason)
    }

    private static func httpConfiguration(_ config: ServerConfig) -> HTTPServer.Configuration {
        var c = HTTPServer.Configuration()
        c.host = config.host
        c.port = config.port
        c.threads = config.threads
        c.limits = config.limits
        c.http2 = config.http2
        c.compression = config.compression
        return c
    }

    static func logLevel(_ level: LogLevel) -> Logger.Level {
        switch level {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }
}

/// A Sendable boolean shared between the server and its data plane.
final class Flag: Sendable {
    private let storage = Atomic<Bool>(false)
    var value: Bool {
        get { storage.load(ordering: .relaxed) }
        set { storage.store(newValue, ordering: .relaxed) }
    }
}

/// Hands every request to its endpoint table: a gRPC call to the gRPC methods (paths such as
/// `/inference.GRPCInferenceService/ModelInfer`), anything else to the REST endpoints. Kept apart
/// so a REST path never answers a gRPC call in JSON, nor a gRPC method a REST client.
struct EndpointResponder: Responder {
    let endpoints: Endpoints
    let grpc: Endpoints

    func respond(to request: Request, writer: ResponseWriter) {
        guard request.isGRPC else {
            endpoints.dispatch(request, writer: writer)
            return
        }
        writer.context.protocolName = "grpc"
        grpc.dispatch(request, writer: writer)
    }
}
