/// The figures of the current canary step, one window per side.
package final class CanaryWindow: Sendable {
    package let candidate = ArmWindow()
    package let baseline = ArmWindow()
}

/// Which arm a request took, and where its outcome is recorded. A class: the inference flow
/// hands it to the shadow, the answer's headers and the metrics, one retain each instead of a
/// copy of every field.
package final class RouteDecision: Sendable {
    package enum Kind: Sendable { case rule, split }

    package let route: CompiledRoute
    package let target: ArmTarget
    /// Index into `route.arms` (split) or `route.config.rules` (rule).
    package let arm: Int
    package let kind: Kind

    package init(route: CompiledRoute, target: ArmTarget, arm: Int, kind: Kind) {
        self.route = route
        self.target = target
        self.arm = arm
        self.kind = kind
    }

    /// What `x-sluice-arm` says: the split arm (`version:3`, `label:canary`) or `rule:N`.
    package var armName: String {
        switch kind {
        case .split: route.arms[arm].name
        case .rule: "rule:\(arm)"
        }
    }

    /// Records the outcome in the canary's step window: only requests the split sent are
    /// judged (a rule's traffic is chosen by headers, not sampled), and `failed` is the caller's
    /// verdict (5xx, or rejected by the version the route sent it to).
    package func recordCanary(seconds: Double, failed: Bool) {
        guard kind == .split, let window = route.window else { return }
        (arm == route.candidateArm ? window.candidate : window.baseline).record(seconds: seconds, failed: failed)
    }
}
