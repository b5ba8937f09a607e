import Synchronization

extension Routes {
    /// A canary operation of the admin API.
    package enum CanaryOperation: String, Sendable, CaseIterable {
        case promote, rollback, pause, resume
    }

    /// One pass of every running canary: feeds each controller its step's figures and carries
    /// out what it decides. Called about once a second by the server's canary driver thread
    /// (never by a request). Returns the decisions taken, for the log.
    @discardableResult
    package func tick() -> [(route: String, decision: CanaryController.Decision)] {
        let time = now()
        let table = snapshot
        return control.withLock { control in
            var taken: [(String, CanaryController.Decision)] = []
            for name in control.controllers.keys.sorted() {
                guard var controller = control.controllers[name], controller.state == .progressing,
                      controller.spec.analysis == nil, let window = table.route(named: name[...])?.window
                else { continue }
                let before = controller.recorded
                let actions = controller.on(.tick(now: time, candidate: window.candidate.sample, baseline: window.baseline.sample))
                control.controllers[name] = controller
                taken += carryOut(actions, route: name, decisionsBefore: before, control)
            }
            return taken
        }
    }

    /// `POST /v2/routes/{r}/canary/{operation}`: applies an operator's decision now. Throws
    /// `.notFound` for an unknown route, `.conflict` for a route without a canary, a fleet canary
    /// (its file is the source of truth) or an operation that does not apply in the canary's state.
    package func operate(_ route: String, _ operation: CanaryOperation) throws(RouteChangeError) {
        let time = now()
        let event: CanaryController.Event = switch operation {
        case .promote: .promote(now: time, reason: "by the admin API")
        case .rollback: .rollback(now: time, reason: "by the admin API")
        case .pause: .pause(now: time)
        case .resume: .resume(now: time)
        }
        let refusal: RouteChangeError? = control.withLock { control in
            guard control.configs.contains(where: { $0.name == route }) else { return .notFound("unknown route '\(route)'") }
            guard var controller = control.controllers[route] else { return .conflict("route '\(route)' has no canary") }
            if controller.spec.analysis != nil { return .conflict(Self.fleetRefusal(route)) }
            do throws(CanaryController.Refusal) { try controller.check(event) } catch { return .conflict(error.description) }
            let before = controller.recorded
            let actions = controller.on(event)
            control.controllers[route] = controller
            for (_, decision) in carryOut(actions, route: route, decisionsBefore: before, control) {
                log(.info, "route '\(route)' canary \(decision.decision): \(decision.reason)")
            }
            return nil
        }
        if let refusal { throw refusal }
    }

    /// `PUT /v2/routes/{r}`: checks `config` against the model table (every model, version and
    /// label it names must exist and be ready, else `.conflict`), writes the routes file, and
    /// publishes the route in one swap. A route whose canary takes its analysis from Prometheus,
    /// before or after, is refused with `.conflict`: `routes.yaml` is its source of truth; so is
    /// a read-only routes file (a ConfigMap: edited there and reloaded). An unchanged `canary:`
    /// keeps its controller's progress; a new or changed one starts over; none removes it.
    /// Throws `.notPersisted` (and changes nothing) when the routes file cannot be written.
    package func replace(_ config: RouteConfig) throws(RouteChangeError) {
        if config.canary?.analysis != nil || control.withLock({ $0.controllers[config.name]?.spec.analysis != nil }) {
            throw .conflict(Self.fleetRefusal(config.name))
        }
        if let file, let reason = RoutesFile.readOnlyReason(file) { throw .conflict(reason) }
        let problems = config.problems(in: manager.snapshot)
        if !problems.isEmpty { throw .conflict(problems.joined(separator: "; ")) }
        let failure: RouteChangeError? = control.withLock { control in
            if config.canary?.analysis != nil || control.controllers[config.name]?.spec.analysis != nil {
                return .conflict(Self.fleetRefusal(config.name))
            }
            var next = control
            if let i = next.configs.firstIndex(where: { $0.name == config.name }) {
                next.configs[i] = config
            } else {
                next.configs.append(config)
            }
            let old = control.configs.first { $0.name == config.name }
            let (controller, started) = carriedOver(config, previous: old, current: next.controllers[config.name])
            next.controllers[config.name] = controller
            if let file {
                // An edit made on disk and not applied yet (it waits for its second look) would be
                // overwritten by this write and lost: the operator retries once it is in force.
                if let seen = control.watch.seen, case .content(let now) = RoutesFile.look(file), now != seen {
                    return .conflict("the routes file \(file) changed on disk and is not applied yet (it is within two poll intervals): retry then, or the edit on disk would be lost")
                }
                let text = RouteConfig.yaml(next.configs)
                do throws(ConfigError) {
                    try AtomicFile.write(text, to: file)
                } catch {
                    return .notPersisted("the route was not applied: \(error)")
                }
                next.watch.wrote(text)
            }
            control = next
            saveState(control)
            publish(control)
            if let started { count(started, route: config.name) }
            log(.info, "route '\(config.name)' replaced through the admin API")
            return nil
        }
        if let failure { throw failure }
    }

    /// Why the admin API does not change a fleet canary's route.
    static func fleetRefusal(_ route: String) -> String {
        "route '\(route)' takes its canary from Prometheus (analysis.prometheus): routes.yaml is the source of truth; "
            + "edit it (the ConfigMap) to pause, promote or roll back (canary.state) or to change the route"
    }

    /// Publishes, persists and counts what a controller decided. Under the control lock.
    func carryOut(
        _ actions: [CanaryController.Action], route: String, decisionsBefore: Int, _ control: Control
    ) -> [(String, CanaryController.Decision)] {
        for action in actions {
            switch action {
            case .setWeight, .resetWindow: republish(route, control)
            case .persist: saveState(control)
            }
        }
        let decisions = control.controllers[route].map { Array($0.decisions.suffix(max(0, $0.recorded - decisionsBefore))) } ?? []
        for decision in decisions { count(decision, route: route) }
        return decisions.map { (route, $0) }
    }

    /// Writes the canary state file. A failure is logged once (a read-only folder, such as a
    /// ConfigMap's, fails at every decision), and a success after failures once more.
    func saveState(_ control: Control) {
        guard let stateFile else { return }
        do throws(ConfigError) {
            try CanaryStateFile.write(control.controllers, to: stateFile)
            if stateUnsaved.exchange(false, ordering: .relaxed) { log(.info, "canary state saved to \(stateFile) again") }
        } catch {
            if !stateUnsaved.exchange(true, ordering: .relaxed) {
                log(.error, "canary state not saved: \(error); canaries go on in memory (a restart resumes them from the last state saved, if any) and this is not logged again until a save succeeds")
            }
        }
    }
}
