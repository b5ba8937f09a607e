/// One route ready for the data plane: its arms with the weights in force now (the canary's
/// share applied), their cumulative thresholds, and the windows and metric handles requests
/// record into. Built by `Routes` whenever a route's config or canary weight changes; shared,
/// immutable, by every request that snapshot serves.
package final class CompiledRoute: Sendable {
    package let config: RouteConfig
    /// The arms in threshold order: the split's other arms in file order, the canary's candidate
    /// last (so a sticky key already on the candidate stays there as its share grows).
    package let arms: [CompiledArm]
    /// `cumulative[i]` = the weights of arms 0…i; a request whose bucket (0…99) is below it and
    /// not below `cumulative[i-1]` goes to arm i.
    let cumulative: [Int]
    /// Index into `arms` of the canary's candidate, when a canary is configured.
    package let candidateArm: Int?
    /// The current canary step's figures (nil without a canary).
    package let window: CanaryWindow?
    /// Shadow sampling: a draw below this is copied (percent × 2³² / 100).
    let shadowThreshold: UInt64
    /// Metric handles for this route (requests, durations, shadows).
    package let metrics: RouteMetrics?

    package var name: String { config.name }

    init(config: RouteConfig, candidateWeight: Int?, metrics: RouteMetrics?) {
        self.config = config
        var arms: [CompiledArm] = []
        if let canary = config.canary, let weight = candidateWeight {
            let candidate = ArmTarget.version(canary.candidate)
            let baseline = config.split.filter { $0.target != candidate }
            let shares = Self.apportion(100 - weight, over: baseline.map(\.weight))
            for (arm, share) in zip(baseline, shares) { arms.append(CompiledArm(target: arm.target, weight: share)) }
            arms.append(CompiledArm(target: candidate, weight: weight))
            candidateArm = arms.count - 1
            window = CanaryWindow()
        } else {
            arms = config.split.map { CompiledArm(target: $0.target, weight: $0.weight) }
            candidateArm = nil
            window = nil
        }
        self.arms = arms
        var running = 0
        cumulative = arms.map { running += $0.weight; return running }
        shadowThreshold = config.shadow.map { UInt64(($0.percent / 100 * 4_294_967_296).rounded(.down)) } ?? 0
        self.metrics = metrics
    }

    /// Splits `total` in proportion to `weights` with integer shares summing to `total`
    /// (largest remainder; ties to the earlier arm). All-zero weights share equally.
    static func apportion(_ total: Int, over weights: [Int]) -> [Int] {
        guard !weights.isEmpty else { return [] }
        let sum = weights.reduce(0, +)
        let basis = sum == 0 ? weights.map { _ in 1 } : weights
        let basisSum = sum == 0 ? weights.count : sum
        var shares = basis.map { $0 * total / basisSum }
        var left = total - shares.reduce(0, +)
        let order = basis.indices.sorted { (basis[$0] * total % basisSum, -$0) > (basis[$1] * total % basisSum, -$1) }
        for i in order where left > 0 {
            shares[i] += 1
            left -= 1
        }
        return shares
    }

    /// The arm for a request: the first rule whose conditions all hold, else the split, by the
    /// sticky key's hash when the request has one and by a random draw otherwise. One hash (or
    /// draw) and a scan of a few thresholds; nothing allocated. Any thread.
    package func decide(header: (String) -> String?) -> RouteDecision {
        for (i, rule) in config.rules.enumerated() where Self.holds(rule.conditions, header) {
            return RouteDecision(route: self, target: rule.target, arm: i, kind: .rule)
        }
        let bucket: Int
        if let key = stickyKey(header) {
            bucket = MurmurHash3.bucket(MurmurHash3.x86_32(key))
        } else {
            bucket = MurmurHash3.bucket(RandomDraw.next())
        }
        let arm = arm(forBucket: bucket)
        return RouteDecision(route: self, target: arms[arm].target, arm: arm, kind: .split)
    }

    /// The arm whose threshold range holds `bucket` (0…99).
    package func arm(forBucket bucket: Int) -> Int {
        for i in cumulative.indices where bucket < cumulative[i] { return i }
        // Unreachable while weights sum to 100; the last arm is the safe answer.
        return cumulative.count - 1
    }

    /// Whether this request is copied to the shadow (drawn per request at the route's percent).
    package var drawsShadow: Bool {
        shadowThreshold > 0 && UInt64(RandomDraw.next()) < shadowThreshold
    }

    /// The sticky key of a request: the header's value, or the cookie's value in `Cookie`.
    func stickyKey(_ header: (String) -> String?) -> Substring? {
        switch config.sticky {
        case nil:
            return nil
        case .header(let name):
            guard let value = header(name), !value.isEmpty else { return nil }
            return value[...]
        case .cookie(let name):
            guard let cookies = header("cookie") else { return nil }
            return Self.cookie(name, in: cookies)
        }
    }

    /// The value of cookie `name` in a `Cookie` header (`a=1; b=2`), without allocating.
    static func cookie(_ name: String, in header: String) -> Substring? {
        var rest = header[...]
        while !rest.isEmpty {
            let end = rest.firstIndex(of: ";") ?? rest.endIndex
            let pair = rest[..<end]
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
            guard let eq = pair.firstIndex(of: "=") else { continue }
            var key = pair[..<eq]
            while key.first == " " { key = key.dropFirst() }
            while key.last == " " { key = key.dropLast() }
            guard key == name else { continue }
            var value = pair[pair.index(after: eq)...]
            while value.first == " " { value = value.dropFirst() }
            while value.last == " " { value = value.dropLast() }
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
            return value.isEmpty ? nil : value
        }
        return nil
    }

    static func holds(_ conditions: [Condition], _ header: (String) -> String?) -> Bool {
        for condition in conditions {
            switch condition {
            case .equals(let name, let value):
                guard header(name) == value else { return false }
            case .present(let name):
                guard header(name) != nil else { return false }
            case .matches(let name, let pattern):
                guard let value = header(name), pattern.matches(value) else { return false }
            }
        }
        return true
    }
}

/// One arm as traffic sees it now.
package struct CompiledArm: Sendable {
    package let target: ArmTarget
    /// The share in force (the canary's, for the candidate).
    package let weight: Int
    /// `version:3` / `label:canary`, made once for the `x-sluice-arm` header.
    package let name: String

    init(target: ArmTarget, weight: Int) {
        self.target = target
        self.weight = weight
        self.name = target.description
    }
}
