import Foundation
import Testing
@testable import SluiceCore

/// The canary policy on a manual clock: every decision is driven by the events and times the
/// test passes in; nothing sleeps.
@Suite struct CanaryControllerTests {
    static let spec = CanarySpec(
        candidate: 4, steps: [5, 25, 100], interval: 60, minRequests: 100, maxErrorRate: 0.01, maxP99LatencyRatio: 1.5)

    static func healthy(_ n: Int, p99: Double = 0.002) -> ArmSample { ArmSample(requests: n, errors: 0, p99: p99) }

    @Test func aHealthyCandidateIsPromotedThroughEveryStep() {
        var c = CanaryController(spec: Self.spec, now: 1000)
        #expect(c.state == .progressing && c.weight == 5)
        var t = 1000.0
        for expected in [25, 100] {
            t += 60
            #expect(c.on(.tick(now: t, candidate: Self.healthy(100), baseline: Self.healthy(1900))) == [.setWeight(expected), .persist])
            #expect(c.weight == expected)
        }
        t += 60
        #expect(c.on(.tick(now: t, candidate: Self.healthy(100), baseline: Self.healthy(0))) == [.setWeight(100), .persist])
        #expect(c.state == .promoted && c.weight == 100)
        #expect(c.decisions.map(\.decision) == ["started", "advanced", "advanced", "promoted"])
        #expect(c.decisions.last?.time == t)
    }

    @Test func aStepWaitsForItsIntervalAndItsMinimumRequests() {
        var c = CanaryController(spec: Self.spec, now: 0)
        #expect(c.on(.tick(now: 59.9, candidate: Self.healthy(500), baseline: Self.healthy(500))) == [])
        #expect(c.on(.tick(now: 600, candidate: Self.healthy(99), baseline: Self.healthy(5000))) == [])
        #expect(c.weight == 5)
        #expect(c.on(.tick(now: 600, candidate: Self.healthy(100), baseline: Self.healthy(5000))) == [.setWeight(25), .persist])
    }

    @Test func errorsAboveTheLimitRollBackAtOnceAndSayWhy() {
        var c = CanaryController(spec: Self.spec, now: 0)
        // Before the interval is over: a failing step does not wait for it.
        let actions = c.on(.tick(now: 10, candidate: ArmSample(requests: 100, errors: 2, p99: 0.002), baseline: Self.healthy(2000)))
        #expect(actions == [.setWeight(0), .persist])
        #expect(c.state == .rolledBack && c.weight == 0)
        let reason = c.decisions.last?.reason ?? ""
        #expect(reason.contains("error rate 0.02 > max_error_rate 0.01 (2 of 100 requests) at step 1 (5 %)"), "\(reason)")
        // A rolled-back canary ignores further ticks.
        #expect(c.on(.tick(now: 100, candidate: Self.healthy(1000), baseline: Self.healthy(1000))) == [])
    }

    @Test func aSlowCandidateIsRolledBackOnItsP99Ratio() {
        var c = CanaryController(spec: Self.spec, now: 0)
        // Not before the step's interval: an early p99 is a handful of requests' slowest.
        #expect(c.on(.tick(now: 10, candidate: Self.healthy(100, p99: 0.004), baseline: Self.healthy(2000, p99: 0.002))) == [])
        let actions = c.on(.tick(now: 61, candidate: Self.healthy(100, p99: 0.004), baseline: Self.healthy(2000, p99: 0.002)))
        #expect(actions == [.setWeight(0), .persist])
        #expect(c.decisions.last?.reason.contains("p99 latency ratio 2 > max_p99_latency_ratio 1.5") == true)
    }

    @Test func theLastStepIsJudgedAgainstTheLastBaselineSeen() {
        let spec = CanarySpec(candidate: 4, steps: [50, 100], interval: 1, minRequests: 10, maxErrorRate: 0, maxP99LatencyRatio: 1.5)
        var c = CanaryController(spec: spec, now: 0)
        _ = c.on(.tick(now: 1, candidate: Self.healthy(10, p99: 0.002), baseline: Self.healthy(10, p99: 0.002)))
        #expect(c.weight == 100)
        // At 100 % the baseline gets nothing; the candidate tripled its p99 against the last one.
        #expect(c.on(.tick(now: 2, candidate: Self.healthy(10, p99: 0.006), baseline: Self.healthy(0))) == [.setWeight(0), .persist])
    }

    @Test func pauseHoldsTheStepAndResumeStartsItOver() throws {
        var c = CanaryController(spec: Self.spec, now: 0)
        #expect(c.on(.pause(now: 5)) == [.persist])
        #expect(c.state == .paused && c.weight == 5)
        #expect(c.on(.tick(now: 500, candidate: Self.healthy(1000), baseline: Self.healthy(1000))) == [])
        #expect(throws: CanaryController.Refusal.self) { try c.check(.pause(now: 6)) }
        #expect(c.on(.resume(now: 600)) == [.resetWindow, .persist])
        #expect(c.on(.tick(now: 650, candidate: Self.healthy(1000), baseline: Self.healthy(1000))) == [])
        #expect(c.on(.tick(now: 660, candidate: Self.healthy(1000), baseline: Self.healthy(1000))) == [.setWeight(25), .persist])
        #expect(c.decisions.map(\.decision) == ["started", "paused", "resumed", "advanced"])
    }

    @Test func operatorsCanPromoteAndRollBackAtAnyTime() throws {
        var c = CanaryController(spec: Self.spec, now: 0)
        #expect(c.on(.promote(now: 1, reason: "by hand")) == [.setWeight(100), .persist])
        #expect(throws: CanaryController.Refusal.self) { try c.check(.promote(now: 2, reason: "")) }
        try c.check(.rollback(now: 2, reason: ""))
        #expect(c.on(.rollback(now: 2, reason: "changed my mind")) == [.setWeight(0), .persist])
        #expect(c.decisions.map(\.reason).suffix(2) == ["by hand", "changed my mind"])
    }

    @Test func aCandidateAlreadyInTheSplitStartsAboveItsShare() {
        #expect(CanaryController(spec: Self.spec, startingShare: 5, now: 0).weight == 25)
        #expect(CanaryController(spec: Self.spec, startingShare: 100, now: 0).weight == 100)
    }

    @Test func theDecisionRecordStaysBounded() {
        var c = CanaryController(spec: Self.spec, now: 0)
        for i in 0..<150 {
            _ = c.on(.pause(now: Double(i)))
            _ = c.on(.resume(now: Double(i)))
        }
        #expect(c.decisions.count == CanaryController.maxDecisions)
        #expect(c.recorded == 301)
    }

    @Test func progressSurvivesTheStateFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-canary-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var c = CanaryController(spec: Self.spec, now: 0)
        _ = c.on(.tick(now: 61, candidate: Self.healthy(100), baseline: Self.healthy(100)))
        _ = c.on(.pause(now: 62))
        let path = folder + "/routes.state.json"
        try CanaryStateFile.write(["fraud": c], to: path)
        let saved = try #require(CanaryStateFile.read(path) { _, _ in }["fraud"])
        #expect(saved.state == .paused && saved.step == 1 && saved.spec.candidate == 4 && saved.spec.steps == [5, 25, 100])
        let restored = CanaryController(spec: Self.spec, state: saved.state, step: saved.step, stepStarted: 100, decisions: saved.decisions)
        #expect(restored.weight == 25)
        #expect(restored.decisions == c.decisions)
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["routes.state.json"])
    }
}
