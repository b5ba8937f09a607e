/// The progressive-delivery policy of one route's `canary:` (README "Routing and canaries"), as a pure state
/// machine: events in, actions out, time passed in with each event. No clock, no I/O, no
/// threads, so every path is tested on a manual clock.
///
/// Owned by `Routes` (under its lock); the server's canary driver feeds it a `.tick` with the
/// step's figures about once a second, and the admin API feeds it pause/resume/promote/rollback.
///
/// Judging a step: nothing happens until `min_requests` have reached the candidate through
/// the split in this step. From then on the step fails at once when the candidate's error rate
/// is above `max_error_rate`. Once `interval` has passed since the step began, it fails when
/// the candidate's p99 is more than `max_p99_latency_ratio` times the baseline's (the
/// baseline's p99 of this step, or of the last step that had baseline traffic), and passes
/// otherwise. Passing the last step promotes.
///
/// A fleet canary (`spec.analysis`, README "Fleet canaries") is judged differently, from the
/// file and Prometheus alone so that every replica decides alike: its first step began at
/// `analysis.start`, each step is judged only at its boundaries (`stepStarted + k × interval`)
/// with figures the driver fetched for exactly that window (`.boundary`), decisions carry the
/// boundary's time, and `analysis.state` is the operator's override. The thresholds are the
/// same code for both (`failure(errorsOf:)`, `judgeLatencyAndPass`). Its progress is derived,
/// never saved.
package struct CanaryController: Sendable, Equatable {
    package enum State: String, Sendable {
        case progressing, paused, promoted
        case rolledBack = "rolled_back"
    }

    /// One entry of the route's decision record.
    package struct Decision: Sendable, Equatable {
        /// Seconds since 1970.
        package var time: Double
        /// `started`, `advanced`, `promoted`, `rolled_back`, `paused`, `resumed`.
        package var decision: String
        package var reason: String

        package init(time: Double, decision: String, reason: String) {
            self.time = time
            self.decision = decision
            self.reason = reason
        }
    }

    package enum Event: Sendable {
        /// The step's figures so far, for the candidate and for the other arms of the split.
        case tick(now: Double, candidate: ArmSample, baseline: ArmSample)
        case pause(now: Double)
        case resume(now: Double)
        /// An operator's promote / rollback (the reason says who).
        case promote(now: Double, reason: String)
        case rollback(now: Double, reason: String)
        /// A fleet canary's figures for the window that ends at boundary `at` (which must be
        /// `nextBoundary`): the candidate's, and the other versions' p99.
        case boundary(at: Double, figures: BoundaryFigures)
    }

    package enum Action: Sendable, Equatable {
        /// The candidate's share is now this: publish a new route table (which starts a fresh
        /// step window).
        case setWeight(Int)
        /// Figures collected so far no longer belong to a step: start a fresh window.
        case resetWindow
        /// The state changed: write it to disk.
        case persist
    }

    /// Why an operator's event was refused (answered 409).
    package struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        package var description: String
    }

    /// Decisions kept, newest last; older ones are dropped so the record stays bounded.
    package static let maxDecisions = 100

    package let spec: CanarySpec
    package private(set) var state: State
    /// Index into `spec.steps` of the current step.
    package private(set) var step: Int
    /// When the current step began (seconds since 1970).
    package private(set) var stepStarted: Double
    /// The baseline's p99 from the last step that had baseline traffic.
    package private(set) var lastBaselineP99: Double?
    package private(set) var decisions: [Decision]
    /// Decisions recorded by this value since it was made (the record itself is bounded), so a
    /// caller can tell which ones an event added.
    package private(set) var recorded = 0
    /// A fleet canary's boundaries judged in the current step without a decision (too few
    /// requests): the next one judges the longer window.
    package private(set) var boundariesInStep = 0
    /// The last boundary a fleet canary judged (seconds since 1970), decided or not.
    package private(set) var lastBoundary: Double?

    /// A new rollout at its first step. A candidate that already had `startingShare` percent in
    /// the split starts at the first step above that share (or at the last step).
    ///
    /// A fleet canary starts at `analysis.start` instead of `now`, in the state the file gives
    /// (an override is recorded at `now`, when this replica applied it).
    package init(spec: CanarySpec, startingShare: Int = 0, now: Double) {
        self.spec = spec
        state = .progressing
        step = spec.steps.firstIndex { $0 > startingShare } ?? (spec.steps.count - 1)
        stepStarted = spec.analysis?.start ?? now
        decisions = []
        guard let analysis = spec.analysis else {
            record(now, "started", "step \(step + 1) of \(spec.steps.count): version \(spec.candidate) at \(spec.steps[step]) %")
            return
        }
        record(analysis.start, "started",
               "step \(step + 1) of \(spec.steps.count): version \(spec.candidate) at \(spec.steps[step]) %, judged every \(Self.format(spec.interval)) s from Prometheus (\(analysis.prometheus))")
        state = analysis.state
        switch analysis.state {
        case .progressing: break
        case .paused: record(now, "paused", "state: paused in routes.yaml: the split is served as written and nothing is judged")
        case .promoted: record(now, "promoted", "state: promoted in routes.yaml")
        case .rolledBack: record(now, "rolled_back", "state: rolled_back in routes.yaml")
        }
    }

    /// A controller restored from the state file (see `CanaryStateFile`).
    package init(spec: CanarySpec, state: State, step: Int, stepStarted: Double, decisions: [Decision]) {
        self.spec = spec
        self.state = state
        self.step = min(max(step, 0), spec.steps.count - 1)
        self.stepStarted = stepStarted
        self.decisions = decisions
    }

    /// The candidate's share of the split now.
    package var weight: Int {
        switch state {
        case .promoted: 100
        case .rolledBack: 0
        case .progressing, .paused: spec.steps[step]
        }
    }

    /// The candidate's share the route is compiled with: `weight`, or nil for the split as
    /// written (a fleet canary paused in `routes.yaml`).
    package var splitWeight: Int? {
        spec.analysis != nil && state == .paused ? nil : weight
    }

    /// A fleet canary's next boundary: the end of the current step's next whole interval.
    package var nextBoundary: Double {
        stepStarted + Double(boundariesInStep + 1) * spec.interval
    }

    /// The window a fleet canary wants judged at `now`: its next boundary once the scrape delay
    /// has passed after it; nil when nothing is due (or it is not a running fleet canary).
    package func due(now: Double) -> (windowStart: Double, boundary: Double)? {
        guard let analysis = spec.analysis, state == .progressing else { return nil }
        let boundary = nextBoundary
        return now >= boundary + analysis.scrapeDelay ? (stepStarted, boundary) : nil
    }

    package mutating func on(_ event: Event) -> [Action] {
        switch event {
        case .tick(let now, let candidate, let baseline):
            return tick(now: now, candidate: candidate, baseline: baseline)
        case .pause(let now):
            guard state == .progressing else { return [] }
            state = .paused
            record(now, "paused", "by the admin API at step \(step + 1) (\(weight) %)")
            return [.persist]
        case .resume(let now):
            guard state == .paused else { return [] }
            state = .progressing
            stepStarted = now
            record(now, "resumed", "by the admin API: step \(step + 1) (\(weight) %) starts over")
            return [.resetWindow, .persist]
        case .promote(let now, let reason):
            guard state != .promoted else { return [] }
            state = .promoted
            record(now, "promoted", reason)
            return [.setWeight(100), .persist]
        case .rollback(let now, let reason):
            guard state != .rolledBack else { return [] }
            state = .rolledBack
            record(now, "rolled_back", reason)
            return [.setWeight(0), .persist]
        case .boundary(let at, let figures):
            return boundary(at: at, figures: figures)
        }
    }

    /// Whether an operator's event applies now; pause and resume make sense only while the
    /// rollout is running (promote and rollback always do, as overrides).
    package func check(_ event: Event) throws(Refusal) {
        switch event {
        case .pause where state != .progressing:
            throw Refusal(description: "the canary is \(state.rawValue), not progressing: nothing to pause")
        case .resume where state != .paused:
            throw Refusal(description: "the canary is \(state.rawValue), not paused: nothing to resume")
        case .promote where state == .promoted:
            throw Refusal(description: "the canary is already promoted")
        case .rollback where state == .rolledBack:
            throw Refusal(description: "the canary is already rolled back")
        default:
            return
        }
    }

    private mutating func tick(now: Double, candidate: ArmSample, baseline: ArmSample) -> [Action] {
        guard spec.analysis == nil, state == .progressing, candidate.requests >= spec.minRequests else { return [] }
        if let reason = failure(errorsOf: candidate) { return rollBack(at: now, reason) }
        // Latency is judged once the step has run its interval: a p99 over the first few dozen
        // requests is mostly their slowest one, and would roll back on a single hiccup.
        guard now - stepStarted >= spec.interval else { return [] }
        return judgeLatencyAndPass(at: now, candidate: candidate, baselineP99: baseline.requests > 0 ? baseline.p99 : nil)
    }

    /// A fleet canary's boundary: too few requests decide nothing (the next boundary judges the
    /// longer window); otherwise errors, then latency, then pass, all at once and at `at`.
    private mutating func boundary(at: Double, figures: BoundaryFigures) -> [Action] {
        guard spec.analysis != nil, state == .progressing, at == nextBoundary else { return [] }
        lastBoundary = at
        boundariesInStep += 1
        let candidate = figures.candidate
        guard candidate.requests >= spec.minRequests else { return [] }
        if let reason = failure(errorsOf: candidate) { return rollBack(at: at, reason) }
        return judgeLatencyAndPass(at: at, candidate: candidate, baselineP99: figures.baselineP99)
    }

    /// The error threshold: the reason the candidate fails it, or nil.
    private func failure(errorsOf candidate: ArmSample) -> String? {
        guard candidate.errorRate > spec.maxErrorRate else { return nil }
        return "error rate \(Self.format(candidate.errorRate)) > max_error_rate \(Self.format(spec.maxErrorRate)) (\(candidate.errors) of \(candidate.requests) requests) \(at)"
    }

    /// The latency threshold against this step's baseline p99 (or, without baseline traffic, the
    /// last step's that had some), then the step passes: the next step, or promotion after the
    /// last.
    private mutating func judgeLatencyAndPass(at time: Double, candidate: ArmSample, baselineP99 stepBaseline: Double?) -> [Action] {
        let baselineP99 = stepBaseline ?? lastBaselineP99
        if let base = baselineP99, base > 0, let p99 = candidate.p99, p99 / base > spec.maxP99LatencyRatio {
            return rollBack(at: time,
                "p99 latency ratio \(Self.format(p99 / base)) > max_p99_latency_ratio \(Self.format(spec.maxP99LatencyRatio)) (candidate \(Self.millis(p99)), baseline \(Self.millis(base))) \(at)")
        }
        if let stepBaseline { lastBaselineP99 = stepBaseline }
        let figures = "error rate \(Self.format(candidate.errorRate)) over \(candidate.requests) requests"
            + (baselineP99.flatMap { base in candidate.p99.map { ", p99 ratio \(Self.format($0 / base))" } } ?? "")
        if step == spec.steps.count - 1 {
            state = .promoted
            record(time, "promoted", "passed the last step (\(weight) %): \(figures)")
            return changed(100)
        }
        step += 1
        stepStarted = time
        boundariesInStep = 0
        record(time, "advanced", "passed step \(step) (\(spec.steps[step - 1]) %): \(figures); now \(weight) %")
        return changed(weight)
    }

    private mutating func rollBack(at time: Double, _ reason: String) -> [Action] {
        state = .rolledBack
        record(time, "rolled_back", reason)
        return changed(0)
    }

    /// A new weight to publish, and to save unless the canary is a fleet one (derived, never saved).
    private func changed(_ weight: Int) -> [Action] {
        spec.analysis == nil ? [.setWeight(weight), .persist] : [.setWeight(weight)]
    }

    /// "at step 2 (50 %)", for reasons.
    private var at: String { "at step \(step + 1) (\(weight) %)" }

    private mutating func record(_ time: Double, _ decision: String, _ reason: String) {
        decisions.append(Decision(time: time, decision: decision, reason: reason))
        recorded += 1
        if decisions.count > Self.maxDecisions { decisions.removeFirst(decisions.count - Self.maxDecisions) }
    }

    private static func format(_ x: Double) -> String {
        let rounded = (x * 10000).rounded() / 10000
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    private static func millis(_ seconds: Double) -> String { "\(format(seconds * 1000)) ms" }
}
