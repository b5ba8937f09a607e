import Synchronization

extension Routes {
    /// Boundaries one fleet canary judges per tick at most: a pod that starts (or reloads a
    /// canary) long after `start` replays the past in slices, and the driver stays responsive.
    package static let boundariesPerTick = 100

    /// One pass of every running fleet canary (README "Fleet canaries"): judges each boundary
    /// that is due, oldest first, so a late pod or a reloaded canary replays every past boundary
    /// since `start` in order (at most `limit` per route per call; the rest on the next). For
    /// each, `analyst` is asked with no lock held (it may block on the network), then the
    /// figures are applied under the control lock, if the canary is still the one asked about
    /// (a `replace` or a reload in between wins).
    ///
    /// A failed query decides nothing: the canary holds its step, the failure is counted in
    /// `canary_analysis_failures_total{route}` and logged once per boundary, and the same
    /// boundary is asked again on the next call. Called by the canary driver's thread after
    /// `tick()`, never by a request. Returns the decisions taken, for the log.
    @discardableResult
    package func judgeBoundaries(
        by analyst: any CanaryAnalyst, limit: Int = boundariesPerTick
    ) -> [(route: String, decision: CanaryController.Decision)] {
        let time = now()
        let names = control.withLock { control in
            control.controllers.filter { $0.value.spec.analysis != nil && $0.value.state == .progressing }.keys.sorted()
        }
        var taken: [(String, CanaryController.Decision)] = []
        for name in names {
            for _ in 0..<max(1, limit) {
                let asked: (spec: CanarySpec, query: BoundaryQuery)? = control.withLock { control in
                    guard let controller = control.controllers[name], let analysis = controller.spec.analysis,
                          let due = controller.due(now: time)
                    else { return nil }
                    let query = BoundaryQuery(
                        route: name, candidate: controller.spec.candidate, analysis: analysis,
                        windowStart: due.windowStart, boundary: due.boundary)
                    return (controller.spec, query)
                }
                guard let (spec, query) = asked else { break }
                let result = Result { () throws(AnalysisError) -> BoundaryFigures in try analyst.figures(for: query) }
                let judged = control.withLock { control -> Bool in
                    guard var controller = control.controllers[name], controller.spec == spec,
                          let due = controller.due(now: time), due.boundary == query.boundary, due.windowStart == query.windowStart
                    else { return false }
                    switch result {
                    case .failure(let error):
                        metrics?.canaryAnalysisFailures.handle(labels: [name]).increment()
                        if control.failureLogged[name] != query.boundary {
                            control.failureLogged[name] = query.boundary
                            log(.warning, "route '\(name)' canary: cannot judge the boundary at \(RouteConfig.number(query.boundary)) (the last \(query.windowSeconds) s) from \(query.analysis.prometheus): \(error); holding step \(controller.step + 1) (\(controller.weight) %) and asking again every tick")
                        }
                        return false
                    case .success(let figures):
                        let before = controller.recorded
                        let actions = controller.on(.boundary(at: query.boundary, figures: figures))
                        control.controllers[name] = controller
                        taken += carryOut(actions, route: name, decisionsBefore: before, control)
                        return true
                    }
                }
                guard judged else { break }
            }
        }
        return taken
    }
}
