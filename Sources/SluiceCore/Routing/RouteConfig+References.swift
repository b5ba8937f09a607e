extension RouteConfig {
    /// What in `table` keeps this route from serving as configured: a missing model, a version
    /// or label that does not exist or is not ready, for every arm with weight, every rule, the
    /// shadow and the canary's candidate. Empty when all is well.
    ///
    /// Called by `PUT /v2/routes/{r}` (a non-empty answer is a 409), at start-up (logged as
    /// warnings) and by `sluice validate --routes` (errors).
    package func problems(in table: ModelTable) -> [String] {
        guard let model = table.model(named: self.model) else {
            return ["route '\(name)': model '\(self.model)' is not in the repository"]
        }
        var targets: [(ArmTarget, String)] = split.filter { $0.weight > 0 }.map { ($0.target, "split") }
        targets += rules.enumerated().map { ($0.element.target, "rules[\($0.offset)]") }
        if let shadow { targets.append((shadow.target, "shadow")) }
        if let canary { targets.append((.version(canary.candidate), "canary.candidate")) }
        var problems: [String] = []
        for (target, place) in targets {
            let problem: String?
            do throws(ServingError) {
                _ = try model.servable(target)
                problem = nil
            } catch {
                problem = "route '\(name)' \(place): \(error)"
            }
            if let problem, !problems.contains(problem) { problems.append(problem) }
        }
        return problems
    }

    /// The version numbers this route can send traffic to now (its version targets and the
    /// versions its labels point to in `table`), for resolving metric handles up front.
    func versions(in table: ModelTable?) -> [Int] {
        var targets = split.map(\.target) + rules.map(\.target)
        if let shadow { targets.append(shadow.target) }
        if let canary { targets.append(.version(canary.candidate)) }
        let labels = table?.model(named: model)?.labels ?? [:]
        return targets.compactMap { $0.versionNumber(labels: labels) }
    }

    /// The candidate's weight in the configured split (its starting share), 0 when absent.
    package var candidateShare: Int {
        guard let canary else { return 0 }
        return split.first { $0.target == .version(canary.candidate) }?.weight ?? 0
    }
}
