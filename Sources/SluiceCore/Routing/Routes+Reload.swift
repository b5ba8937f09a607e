import Synchronization

extension Routes {
    /// What a reload changed, by route name.
    package struct Changes: Sendable, Equatable, CustomStringConvertible {
        package var added: [String] = []
        package var changed: [String] = []
        package var removed: [String] = []
        /// Routes whose canary is new or changed, so it starts over at its first step.
        package var canariesStarted: [String] = []

        package init() {}

        package var isEmpty: Bool { added.isEmpty && changed.isEmpty && removed.isEmpty }

        package var description: String {
            var parts: [String] = []
            if !added.isEmpty { parts.append("added \(added.joined(separator: ", "))") }
            if !changed.isEmpty { parts.append("changed \(changed.joined(separator: ", "))") }
            if !removed.isEmpty { parts.append("removed \(removed.joined(separator: ", "))") }
            if !canariesStarted.isEmpty { parts.append("canary started over on \(canariesStarted.joined(separator: ", "))") }
            return parts.isEmpty ? "no route changed" : parts.joined(separator: "; ")
        }
    }

    /// What one look at the routes file did.
    package enum ReloadResult: Sendable, Equatable {
        /// Same bytes as at the last look (or the server's own write, or still unreadable).
        case unchanged
        /// The file changed and parsed; what it changed is in force (possibly nothing: a comment).
        case applied(Changes)
        /// The file changed but is invalid (the error, naming file, key and reason): the routes
        /// in force stay.
        case refused(ConfigError)
        /// The file just became unreadable (why): the routes in force stay.
        case unreadable(String)
    }

    /// Re-reads the routes file and applies it when its bytes changed (README "Reloading
    /// routes.yaml"): called by the server's poller every `poll_interval` after the repository's
    /// poll, and by tests. A valid file is applied by `reload(_:)` in one swap; an invalid one
    /// is logged with its reason and counted, and the routes in force stay; a file that cannot
    /// be read is logged once until it can. Each outcome is counted once per content, in
    /// `config_reloads_total{file="routes"}`. Reads the file under the control lock, so a `PUT`'s
    /// write and a look never interleave; never call it from an event loop.
    @discardableResult
    package func reloadIfChanged() -> ReloadResult {
        guard let file else { return .unchanged }
        return control.withLock { control in
            switch control.watch.on(RoutesFile.look(file)) {
            case .none:
                return .unchanged
            case .vanished(let reason):
                log(.warning, "routes file \(file) \(reason): the routes in force stay until it is back")
                countReload(success: false)
                return .unreadable(reason)
            case .changed(let bytes, let first):
                let configs: [RouteConfig]
                do throws(ConfigError) {
                    guard let text = String(validating: bytes, as: UTF8.self) else {
                        throw ConfigError(file: file, keyPath: "", reason: "is not UTF-8 text")
                    }
                    configs = try RouteConfig.parseFile(yaml: text, file: file)
                } catch {
                    log(.error, "routes file not reloaded, the routes in force stay: \(error)")
                    countReload(success: false)
                    return .refused(error)
                }
                // The first look reads what start-up parsed a moment before: nothing to report.
                if first && configs == control.configs { return .unchanged }
                let changes = apply(configs, &control)
                log(.info, "routes reloaded from \(file): \(changes)")
                countReload(success: true)
                return .applied(changes)
            }
        }
    }

    /// Puts `configs` in force in one swap (a request sees the old table or the new one, and
    /// keeps the route it started with): added routes appear, removed ones go (with their metric
    /// series), an unchanged route keeps its compiled route, so its canary's progress and step
    /// figures carry on; a new or changed `canary:` starts over. References to versions that are
    /// not ready are logged, not refused, as at start-up. Equal configs change nothing. Does not
    /// write the routes file (it is the source). Blocking (the state file); off the event loops.
    @discardableResult
    package func reload(_ configs: [RouteConfig]) -> Changes {
        control.withLock { apply(configs, &$0) }
    }

    /// `reload(_:)` under the control lock.
    private func apply(_ configs: [RouteConfig], _ control: inout Control) -> Changes {
        var changes = Changes()
        guard configs != control.configs else { return changes }
        let models = manager.snapshot
        var controllers: [String: CanaryController] = [:]
        var kept: Set<String> = []
        var started: [(String, CanaryController.Decision)] = []
        for config in configs {
            let previous = control.configs.first { $0.name == config.name }
            let (controller, start) = carriedOver(config, previous: previous, current: control.controllers[config.name])
            controllers[config.name] = controller
            if let start {
                started.append((config.name, start))
                changes.canariesStarted.append(config.name)
            }
            if previous == config {
                kept.insert(config.name)
                continue
            }
            if let previous {
                changes.changed.append(config.name)
                if previous.model != config.model { dropSeries(route: previous.name, model: previous.model) }
            } else {
                changes.added.append(config.name)
            }
            for problem in config.problems(in: models) { log(.warning, problem) }
        }
        changes.removed = control.configs.map(\.name).filter { name in !configs.contains { $0.name == name } }
        let controllersChanged = controllers != control.controllers
        control.configs = configs
        control.controllers = controllers
        publish(control, keeping: kept)
        if controllersChanged { saveState(control) }
        for (name, decision) in started { count(decision, route: name) }
        for name in changes.removed { dropSeries(route: name, model: nil) }
        return changes
    }

    /// The canary controller a route runs with after a change, the one rule of `PUT` and reloads:
    /// an unchanged `canary:` keeps its controller and progress; a new or changed one starts over
    /// at its first step (`started` is its first decision, to count); none removes it.
    func carriedOver(
        _ config: RouteConfig, previous: RouteConfig?, current: CanaryController?
    ) -> (controller: CanaryController?, started: CanaryController.Decision?) {
        guard let spec = config.canary else { return (nil, nil) }
        if let current, previous?.canary == spec { return (current, nil) }
        let controller = CanaryController(spec: spec, startingShare: config.candidateShare, now: now())
        return (controller, controller.decisions.last)
    }

    /// Forgets the metric series a route recorded (those of one model of it when `model` is
    /// set), so a removed route leaves the scrape. A request still finishing on the old route
    /// counts into handles nobody reads.
    private func dropSeries(route: String, model: String?) {
        guard let metrics else { return }
        var labels = [(name: "route", value: route)]
        if let model { labels.append((name: "model", value: model)) }
        metrics.serving.requests.remove(matching: labels)
        metrics.serving.requestDuration.remove(matching: labels)
        metrics.shadowRequests.remove(matching: labels)
        metrics.shadowMismatches.remove(matching: labels)
        if model == nil { metrics.canaryDecisions.remove(matching: labels) }
    }

    /// Both results of `config_reloads_total{file="routes"}` at 0 and the gauge at 1: the file
    /// loaded at start-up (else there is no server). Called once by `init` when there is a file.
    func seedReloadMetrics() {
        guard let metrics else { return }
        for result in ["success", "failure"] { _ = metrics.configReloads.handle(labels: ["routes", result]) }
        metrics.configLastReloadSuccessful.handle(labels: ["routes"]).set(1)
    }

    private func countReload(success: Bool) {
        guard let metrics else { return }
        metrics.configReloads.handle(labels: ["routes", success ? "success" : "failure"]).increment()
        metrics.configLastReloadSuccessful.handle(labels: ["routes"]).set(success ? 1 : 0)
    }
}
