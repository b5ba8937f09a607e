/// One route of `config/routes.yaml` (README "Routing and canaries"), validated: a public model name over a
/// repository model, with its split, rules, sticky key, shadow and canary.
///
/// Parsed at start-up, by `sluice validate` and by `PUT /v2/routes/{r}` (off the event loops);
/// compiled into a `CompiledRoute` for the data plane. Immutable once built.
package struct RouteConfig: Sendable, Equatable {
    /// The public name: `/v2/models/{name}/infer`. Follows the model-name rule.
    package var name: String
    /// The repository model every arm, rule and shadow of the route runs on.
    package var model: String
    /// Integer weights summing to 100 (an arm may have weight 0).
    package var split: [Arm]
    /// First match wins, before the split.
    package var rules: [Rule]
    package var sticky: Sticky?
    package var shadow: Shadow?
    package var canary: CanarySpec?

    package init(
        name: String, model: String, split: [Arm], rules: [Rule] = [], sticky: Sticky? = nil, shadow: Shadow? = nil,
        canary: CanarySpec? = nil
    ) {
        self.name = name
        self.model = model
        self.split = split
        self.rules = rules
        self.sticky = sticky
        self.shadow = shadow
        self.canary = canary
    }
}

/// What an arm, a rule or a shadow sends requests to: one version, or whichever version a label
/// of the model's `model.yaml` points to when the request arrives.
package enum ArmTarget: Sendable, Equatable, Hashable, CustomStringConvertible {
    case version(Int)
    case label(String)

    /// `version:3` or `label:canary`: the `x-sluice-arm` header and the log's `arm` field.
    package var description: String {
        switch self {
        case .version(let v): "version:\(v)"
        case .label(let l): "label:\(l)"
        }
    }
}

/// One weighted arm of a split.
package struct Arm: Sendable, Equatable {
    package var target: ArmTarget
    /// 0…100; the arms of a route sum to 100.
    package var weight: Int

    package init(_ target: ArmTarget, weight: Int) {
        self.target = target
        self.weight = weight
    }
}

/// `{match: {…}, version: N | label: L}`: requests whose headers satisfy every condition go to
/// `target`, bypassing the split.
package struct Rule: Sendable, Equatable {
    package var conditions: [Condition]
    package var target: ArmTarget

    package init(conditions: [Condition], target: ArmTarget) {
        self.conditions = conditions
        self.target = target
    }
}

/// One header condition of a rule. Header names are stored lower-cased.
package enum Condition: Sendable, Equatable {
    /// `header: {name: value}`: the header is present with exactly this value.
    case equals(name: String, value: String)
    /// `header_present: name`: the header is present, with any value.
    case present(name: String)
    /// `header_regex: {name: pattern}`: the header is present and the pattern matches its whole
    /// value. Compiled when the route is loaded; a bad pattern is a config error.
    case matches(name: String, pattern: HeaderPattern)
}

/// `sticky:`: where a request's key comes from. The same key always lands on the same arm.
package enum Sticky: Sendable, Equatable {
    /// `{header: x-user-id}`; the name is stored lower-cased.
    case header(String)
    /// `{cookie: session}`: the value of that cookie in the `Cookie` header.
    case cookie(String)
}

/// `shadow: {version|label, percent, tolerance}`: a share of requests is copied to `target`
/// after the primary answered; its answer is compared and counted, never returned.
package struct Shadow: Sendable, Equatable {
    package var target: ArmTarget
    /// 0…100 percent of the route's successful requests.
    package var percent: Double
    /// Numeric outputs agree when `|a − b| ≤ tolerance + tolerance × |a|` (relative and absolute,
    /// like numpy's `isclose` with `rtol = atol = tolerance`). Default 1e-6.
    package var tolerance: Double

    package init(target: ArmTarget, percent: Double, tolerance: Double = 1e-6) {
        self.target = target
        self.percent = percent
        self.tolerance = tolerance
    }
}

/// `canary:` of a route: the progressive rollout the controller drives.
package struct CanarySpec: Sendable, Equatable {
    /// The version being rolled out.
    package var candidate: Int
    /// Candidate weights, strictly increasing, each 1…100.
    package var steps: [Int]
    /// Seconds a step lasts at least before it can pass.
    package var interval: Double
    /// Requests the split must send to the candidate during a step before it is judged.
    package var minRequests: Int
    /// Highest candidate error rate (5xx and requests its model rejected) that passes, 0…1.
    package var maxErrorRate: Double
    /// Highest candidate p99 / baseline p99 that passes.
    package var maxP99LatencyRatio: Double
    /// `promote`: after the last step the candidate takes 100 % (the only outcome today).
    package var onSuccess: String
    /// `rollback`: a failed step sends the candidate to 0 % at once (the only outcome today).
    package var onFailure: String
    /// `start`, `state` and `analysis:`: a fleet canary, judged at fixed boundaries from
    /// Prometheus; nil for the pod's own window.
    package var analysis: CanaryAnalysis?

    package init(
        candidate: Int, steps: [Int], interval: Double, minRequests: Int, maxErrorRate: Double,
        maxP99LatencyRatio: Double, onSuccess: String = "promote", onFailure: String = "rollback",
        analysis: CanaryAnalysis? = nil
    ) {
        self.analysis = analysis
        self.candidate = candidate
        self.steps = steps
        self.interval = interval
        self.minRequests = minRequests
        self.maxErrorRate = maxErrorRate
        self.maxP99LatencyRatio = maxP99LatencyRatio
        self.onSuccess = onSuccess
        self.onFailure = onFailure
    }
}
