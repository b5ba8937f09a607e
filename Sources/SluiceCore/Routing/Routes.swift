import Synchronization

/// The traffic control plane (README "Routing and canaries"): the configured routes, their canary
/// controllers, and the `RouteTable` the data plane reads.
///
/// The server creates one at start-up from `routes.yaml`. Requests call `route(named:)` on any
/// thread: one relaxed load when there are no routes, else a short lock to copy the published
/// table; they never wait for a control operation. Control operations (`tick`, `replace`,
/// `operate`, and `reloadIfChanged`/`reload` when the routes file changes) take turns under one
/// lock, build new compiled routes, read or write the files, and publish the new table in one
/// swap. They do file I/O: call them off the event loops.
package final class Routes: Sendable {
    /// The routes file a `PUT` rewrites and the poller re-reads; nil when the server runs
    /// without one (changes then last until the process ends).
    package let file: String?
    /// Where canary progress is kept, beside the routes file: `routes.yaml` → `routes.state.json`.
    package let stateFile: String?
    let manager: ModelManager
    let metrics: RoutingMetrics?
    /// Wall-clock seconds since 1970 (decisions carry it; steps are measured on it).
    let now: @Sendable () -> Double
    let log: @Sendable (LogLevel, String) -> Void
    private let table = Mutex(RouteTable.empty)
    /// A 64-bit filter of the route names (per name, one bit for its length and one for its
    /// last byte, each modulo 32): a request for a name that is no route (every request of a
    /// server without routes, and most plain model names on one with routes) is answered by one
    /// relaxed load and two bit tests, without hashing the name or taking the table's lock.
    private let names = Atomic<UInt64>(0)
    let control: Mutex<Control>
    /// The last save of the state file failed (a read-only folder): the failure is logged once,
    /// not at every decision, until a save succeeds again.
    let stateUnsaved = Atomic<Bool>(false)

    struct Control: Sendable {
        var configs: [RouteConfig]
        var controllers: [String: CanaryController]
        /// Per fleet canary, the boundary whose analysis failure was last logged (one line per
        /// boundary however many ticks it stays unjudged).
        var failureLogged: [String: Double] = [:]
        /// What the routes file held at the last look (`Routes+Reload`).
        var watch = RoutesFileWatch()
    }

    /// Compiles `configs` and publishes them; canary progress is restored from the state file
    /// when it describes the same rollout (route, candidate and steps), else each canary starts
    /// at its first step. A fleet canary is never restored: it is derived from `routes.yaml`
    /// and Prometheus, replaying its past boundaries on the driver's first ticks. References to versions that are not ready are logged, not fatal: the
    /// arm answers 503 until they are.
    package init(
        file: String?, configs: [RouteConfig], manager: ModelManager, metrics: RoutingMetrics?,
        now: @escaping @Sendable () -> Double, log: @escaping @Sendable (LogLevel, String) -> Void
    ) {
        self.file = file
        self.stateFile = file.map(Self.stateFile(for:))
        self.manager = manager
        self.metrics = metrics
        self.now = now
        self.log = log
        let saved = stateFile.map { CanaryStateFile.read($0, log: log) } ?? [:]
        var controllers: [String: CanaryController] = [:]
        let start = now()
        for config in configs {
            guard let spec = config.canary else { continue }
            if spec.analysis == nil, let restored = saved[config.name], restored.spec.candidate == spec.candidate,
               restored.spec.steps == spec.steps
            {
                controllers[config.name] = CanaryController(
                    spec: spec, state: restored.state, step: restored.step, stepStarted: start, decisions: restored.decisions)
            } else {
                controllers[config.name] = CanaryController(spec: spec, startingShare: config.candidateShare, now: start)
            }
        }
        control = Mutex(Control(configs: configs, controllers: controllers))
        control.withLock { control in
            publish(control)
            for (name, controller) in control.controllers where saved[name] == nil || controller.spec.analysis != nil {
                for decision in controller.decisions { count(decision, route: name) }
            }
        }
        if file != nil { seedReloadMetrics() }
    }

    /// Recompiles every route against the current model table (so label arms get their metric
    /// handles up front) and logs what keeps a route from serving as configured. The server
    /// calls it once the models have loaded.
    package func refresh() {
        let models = manager.snapshot
        control.withLock { control in
            for config in control.configs {
                for problem in config.problems(in: models) { log(.warning, problem) }
            }
            publish(control)
        }
    }

    /// `config/routes.yaml` → `config/routes.state.json`.
    package static func stateFile(for file: String) -> String {
        let base = file.hasSuffix(".yaml") ? String(file.dropLast(5)) : file.hasSuffix(".yml") ? String(file.dropLast(4)) : file
        return base + ".state.json"
    }

    /// The route with public name `name`, or nil. Per request, any thread.
    @inline(__always)
    package func route(named name: Substring) -> CompiledRoute? {
        let filter = names.load(ordering: .relaxed)
        guard filter != 0 else { return nil }
        let bits = Self.filterBits(name)
        guard filter & bits == bits else { return nil }
        return table.withLock { $0 }.route(named: name)
    }

    /// The two filter bits of a name: its UTF-8 length in the low half, its last byte in the
    /// high half.
    @inline(__always)
    static func filterBits(_ name: Substring) -> UInt64 {
        let utf8 = name.utf8
        let last = UInt64(utf8.last ?? 0)
        return 1 << UInt64(utf8.count & 31) | 1 << (32 + (last & 31))
    }

    /// The published table (metrics at scrape time, the admin API).
    package var snapshot: RouteTable { table.withLock { $0 } }

    /// A route's configuration and its canary's state, as `GET /v2/routes/{r}` answers them.
    package func live(_ name: String) -> LiveRoute? {
        let (config, controller) = control.withLock { c in (c.configs.first { $0.name == name }, c.controllers[name]) }
        guard let config else { return nil }
        return LiveRoute(config: config, compiled: snapshot.route(named: name[...]), canary: controller)
    }

    /// Every route, by name.
    package func liveAll() -> [LiveRoute] {
        let names = control.withLock { $0.configs.map(\.name) }.sorted()
        return names.compactMap(live)
    }

    /// Rebuilds every compiled route from `control` and swaps the table. Under the control lock.
    /// The routes named in `kept` (a reload left their config and canary as they were) keep
    /// their compiled route, so their canary's step window and metric handles carry on.
    func publish(_ control: Control, keeping kept: Set<String> = []) {
        let models = manager.snapshot
        let current = kept.isEmpty ? RouteTable.empty : snapshot
        let compiled = control.configs.map { config in
            if kept.contains(config.name), let route = current.route(named: config.name[...]) { return route }
            return CompiledRoute(
                config: config, candidateWeight: control.controllers[config.name]?.splitWeight,
                metrics: metrics.map { RouteMetrics($0, route: config.name, model: config.model, versions: config.versions(in: models)) })
        }
        let newTable = RouteTable(routes: compiled)
        table.withLock { $0 = newTable }
        // After the table: a request that sees a new name's bits finds its route under the lock.
        names.store(compiled.reduce(0) { $0 | Self.filterBits($1.name[...]) }, ordering: .relaxed)
    }

    /// Rebuilds one route (its canary weight changed: a fresh window starts) and swaps the table.
    func republish(_ name: String, _ control: Control) {
        guard let config = control.configs.first(where: { $0.name == name }) else { return }
        let models = manager.snapshot
        let route = CompiledRoute(
            config: config, candidateWeight: control.controllers[name]?.splitWeight,
            metrics: metrics.map { RouteMetrics($0, route: config.name, model: config.model, versions: config.versions(in: models)) })
        table.withLock { table in
            table = RouteTable(routes: table.routes.filter { $0.name != name } + [route])
        }
    }

    /// Counts a canary decision in `canary_decisions_total`.
    func count(_ decision: CanaryController.Decision, route: String) {
        metrics?.canaryDecisions.handle(labels: [route, decision.decision]).increment()
    }
}

/// One route as the admin API shows it: what was configured, the weights in force, and the
/// canary's state.
package struct LiveRoute: Sendable {
    package let config: RouteConfig
    /// The published route (its `arms` carry the weights in force).
    package let compiled: CompiledRoute?
    package let canary: CanaryController?
}
