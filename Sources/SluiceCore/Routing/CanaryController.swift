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

    /// A new rollout at its first step. A candidate that already had `startingShare` percent in
    /// the split starts at the first step above that share (or at the last step).
    package init(spec: CanarySpec, startingShare: Int = 0, now: Double) {
        self.spec = spec
        state = .progressing
        step = spec.steps.firstIndex { $0 > startingShare } ?? (spec.steps.count - 1)
        stepStarted = now
        decisions = []
        record(now, "started", "step \(step + 1) of \(spec.steps.count): version \(spec.candidate) at \(spec.steps[step]) %")
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
        guard state == .progressing, candidate.requests >= spec.minRequests else { return [] }
        let at = "at step \(step + 1) (\(weight) %)"
        if candidate.errorRate > spec.maxErrorRate {
            state = .rolledBack
            record(now, "rolled_back",
                   "error rate \(Self.format(candidate.errorRate)) > max_error_rate \(Self.format(spec.maxErrorRate)) (\(candidate.errors) of \(candidate.requests) requests) \(at)")
            return [.setWeight(0), .persist]
        }
        // Latency is judged once the step has run its interval: a p99 over the first few dozen
        // requests is mostly their slowest one, and would roll back on a single hiccup.
        guard now - stepStarted >= spec.interval else { return [] }
        let baselineP99 = baseline.requests > 0 ? baseline.p99 : lastBaselineP99
        if let base = baselineP99, base > 0, let p99 = candidate.p99, p99 / base > spec.maxP99LatencyRatio {
            state = .rolledBack
            record(now, "rolled_back",
                   "p99 latency ratio \(Self.format(p99 / base)) > max_p99_latency_ratio \(Self.format(spec.maxP99LatencyRatio)) (candidate \(Self.millis(p99)), baseline \(Self.millis(base))) \(at)")
            return [.setWeight(0), .persist]
        }
        if baseline.requests > 0 { lastBaselineP99 = baseline.p99 }
        let figures = "error rate \(Self.format(candidate.errorRate)) over \(candidate.requests) requests"
            + (baselineP99.flatMap { base in candidate.p99.map { ", p99 ratio \(Self.format($0 / base))" } } ?? "")
        if step == spec.steps.count - 1 {
            state = .promoted
            record(now, "promoted", "passed the last step (\(weight) %): \(figures)")
            return [.setWeight(100), .persist]
        }
        step += 1
        stepStarted = now
        record(now, "advanced", "passed step \(step) (\(spec.steps[step - 1]) %): \(figures); now \(weight) %")
        return [.setWeight(weight), .persist]
    }

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
