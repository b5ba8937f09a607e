import Foundation
import Synchronization
import Testing
@testable import SluiceCore

/// Fleet canaries (`canary.analysis.prometheus`) on a manual clock: the boundary schedule from
/// `start`, judging at boundaries with the boundary's time, replay for a late replica, holding
/// while the analysis fails, the file's `state:` overrides, and the admin API's refusals. A fake
/// analyst stands in for Prometheus: the same answers for the same window, as a real one gives
/// every replica.
@Suite struct FleetCanaryTests {
    static let start = 1_000.0
    static let analysis = CanaryAnalysis(
        prometheus: PrometheusURL(host: "prometheus", port: 9090), scrapeDelay: 5, timeout: 1, start: start)
    static let spec = CanarySpec(
        candidate: 2, steps: [10, 50, 100], interval: 10, minRequests: 150, maxErrorRate: 0.01, maxP99LatencyRatio: 1.5,
        analysis: analysis)

    static func figures(_ requests: Int, errors: Int = 0, p99: Double? = 0.010, baseline: Double? = 0.010) -> BoundaryFigures {
        BoundaryFigures(candidate: ArmSample(requests: requests, errors: errors, p99: p99), baselineP99: baseline)
    }

    // MARK: the state machine

    @Test func boundariesFollowFromStartAndAreDueOnlyAfterTheScrapeDelay() {
        let c = CanaryController(spec: Self.spec, now: 1_234)
        #expect(c.stepStarted == 1_000 && c.nextBoundary == 1_010)
        #expect(c.due(now: 1_014.9) == nil)
        #expect(c.due(now: 1_015).map { [$0.windowStart, $0.boundary] } == [1_000, 1_010])
        #expect(c.decisions.map(\.decision) == ["started"])
        #expect(c.decisions.first?.time == 1_000)
        #expect(c.decisions.first?.reason.contains("judged every 10 s from Prometheus (http://prometheus:9090)") == true)
    }

    @Test func tooFewRequestsDecideNothingAndTheNextBoundaryJudgesTheLongerWindow() {
        var c = CanaryController(spec: Self.spec, now: 2_000)
        #expect(c.on(.boundary(at: 1_010, figures: Self.figures(149))) == [])
        #expect(c.lastBoundary == 1_010 && c.weight == 10)
        #expect(c.due(now: 2_000).map { [$0.windowStart, $0.boundary] } == [1_000, 1_020])
        // A boundary that is not the next one is ignored (a stale answer).
        #expect(c.on(.boundary(at: 1_010, figures: Self.figures(500))) == [])
        #expect(c.on(.boundary(at: 1_020, figures: Self.figures(300))) == [.setWeight(50)])
        #expect(c.stepStarted == 1_020 && c.nextBoundary == 1_030)
        #expect(c.decisions.last?.time == 1_020)
        #expect(c.decisions.last?.decision == "advanced")
    }

    @Test func aHealthyCandidatePassesEveryStepAtItsBoundariesAndNothingIsSaved() {
        var c = CanaryController(spec: Self.spec, now: 2_000)
        #expect(c.on(.boundary(at: 1_010, figures: Self.figures(200))) == [.setWeight(50)])
        #expect(c.on(.boundary(at: 1_020, figures: Self.figures(200))) == [.setWeight(100)])
        #expect(c.on(.boundary(at: 1_030, figures: Self.figures(200, baseline: nil))) == [.setWeight(100)])
        #expect(c.state == .promoted && c.due(now: 9_999) == nil)
        #expect(c.decisions.map(\.decision) == ["started", "advanced", "advanced", "promoted"])
        #expect(c.decisions.map(\.time) == [1_000, 1_010, 1_020, 1_030])
    }

    @Test func errorsOrASlowCandidateRollBackAtTheBoundary() {
        var errors = CanaryController(spec: Self.spec, now: 2_000)
        #expect(errors.on(.boundary(at: 1_010, figures: Self.figures(200, errors: 3))) == [.setWeight(0)])
        #expect(errors.state == .rolledBack && errors.decisions.last?.time == 1_010)
        #expect(errors.decisions.last?.reason == "error rate 0.015 > max_error_rate 0.01 (3 of 200 requests) at step 1 (10 %)")

        var slow = CanaryController(spec: Self.spec, now: 2_000)
        #expect(slow.on(.boundary(at: 1_010, figures: Self.figures(200, p99: 0.020, baseline: 0.010))) == [.setWeight(0)])
        #expect(slow.decisions.last?.reason.hasPrefix("p99 latency ratio 2 > max_p99_latency_ratio 1.5") == true)

        // At 100 % the baseline has no traffic: the last step's baseline p99 is the reference.
        var last = CanaryController(spec: Self.spec, now: 2_000)
        _ = last.on(.boundary(at: 1_010, figures: Self.figures(200, p99: 0.010, baseline: 0.010)))
        _ = last.on(.boundary(at: 1_020, figures: Self.figures(200, p99: 0.010, baseline: 0.010)))
        #expect(last.on(.boundary(at: 1_030, figures: Self.figures(200, p99: 0.030, baseline: nil))) == [.setWeight(0)])
    }

    @Test func aCandidateAlreadyInTheSplitStartsAtTheFirstStepAboveItsShare() {
        let c = CanaryController(spec: Self.spec, startingShare: 10, now: 2_000)
        #expect(c.step == 1 && c.weight == 50 && c.stepStarted == 1_000)
    }

    @Test func theFilesStateOverridesTheBoundaries() {
        func controller(_ state: CanaryController.State) -> CanaryController {
            var spec = Self.spec
            spec.analysis?.state = state
            return CanaryController(spec: spec, startingShare: 30, now: 2_000)
        }
        let paused = controller(.paused)
        #expect(paused.state == .paused && paused.splitWeight == nil && paused.due(now: 9_999) == nil)
        #expect(paused.decisions.map(\.decision) == ["started", "paused"])
        #expect(paused.decisions.last?.time == 2_000)
        #expect(controller(.promoted).splitWeight == 100)
        #expect(controller(.rolledBack).splitWeight == 0)
        #expect(controller(.progressing).splitWeight == 50)
    }

    // MARK: Routes with a fake analyst

    /// A route on model `m` (absent: routing still compiles) with a fleet canary from `start`.
    static func routes(state: String = "progressing", extra: String = "") -> String {
        """
        routes:
          - name: fleet
            model: m
            split: [{version: 1, weight: 100}]
            canary:
              candidate: 2
              steps: [10, 50, 100]
              interval: 10s
              min_requests: 150
              max_error_rate: 0.01
              max_p99_latency_ratio: 1.5
              start: 1970-01-01T00:16:40Z
              state: \(state)
              analysis: {prometheus: "http://prometheus:9090", scrape_delay: 5s}
        \(extra)
        """
    }

    /// One replica: its own `Routes` over the same file, on its own manual clock.
    final class Clock: Sendable {
        let now = Mutex(0.0)
    }

    final class Replica {
        let clock = Clock()
        let logs = LogRecorder()
        let routes: Routes
        let repository: TemporaryRepository

        init(yaml: String = FleetCanaryTests.routes(), startingAt now: Double, file: String? = nil) throws {
            clock.now.withLock { $0 = now }
            repository = try TemporaryRepository()
            let manager = ModelManager(
                source: RepositoryScanner(root: repository.root, backends: .likeStandard()), loader: FakeLoader().loader, log: { _, _ in })
            let clock = clock
            routes = Routes(
                file: file, configs: try RouteConfig.parseFile(yaml: yaml, file: "routes.yaml"), manager: manager, metrics: nil,
                now: { clock.now.withLock { $0 } }, log: logs.sink)
        }

        func advance(to now: Double) { clock.now.withLock { $0 = now } }
        var canary: CanaryController? { routes.live("fleet")?.canary }
    }

    /// What Prometheus would answer for the fleet: 10 candidate requests a second, `errorsFrom`
    /// on 1 in 20 of them failing; every ask recorded.
    final class FakeAnalyst: CanaryAnalyst {
        let asked = Mutex<[BoundaryQuery]>([])
        let failing = Mutex(0)
        let errorsFrom: Double

        init(errorsFrom: Double = .infinity) { self.errorsFrom = errorsFrom }

        func figures(for query: BoundaryQuery) throws(AnalysisError) -> BoundaryFigures {
            asked.withLock { $0.append(query) }
            let fail = failing.withLock { n in
                defer { n = max(0, n - 1) }
                return n > 0
            }
            if fail { throw AnalysisError("connection refused") }
            let requests = 10 * query.windowSeconds
            let errors = query.boundary > errorsFrom ? requests / 20 : 0
            return FleetCanaryTests.figures(requests, errors: errors)
        }
    }

    @Test func aLateReplicaReplaysThePastAndRecordsTheSameDecisionsAsOneThatWatchedLive() throws {
        let analyst = FakeAnalyst()
        let early = try Replica(startingAt: 999)
        for t in stride(from: 999.0, through: 1_100, by: 1) {
            early.advance(to: t)
            early.routes.judgeBoundaries(by: analyst)
        }
        let late = try Replica(startingAt: 1_200)
        let decided = late.routes.judgeBoundaries(by: analyst)
        #expect(decided.map(\.decision.decision) == ["advanced", "advanced", "promoted"])
        let a = try #require(early.canary), b = try #require(late.canary)
        #expect(a.decisions == b.decisions)
        #expect(b.decisions.map(\.time) == [1_000, 1_020, 1_040, 1_060])
        #expect(a.lastBoundary == 1_060 && b.lastBoundary == 1_060)
        #expect(b.state == .promoted && late.routes.snapshot.route(named: "fleet")?.arms.last?.weight == 100)
        // Every window was asked once by the late replica, oldest first, evaluated at its boundary.
        let lateAsks = analyst.asked.withLock { Array($0.suffix(6)) }
        #expect(lateAsks.map { [$0.windowStart, $0.boundary] } == [
            [1_000, 1_010], [1_000, 1_020], [1_020, 1_030], [1_020, 1_040], [1_040, 1_050], [1_040, 1_060],
        ])
    }

    @Test func theReplayIsBoundedPerCallAndGoesOnAtTheNext() throws {
        let replica = try Replica(startingAt: 1_200)
        let analyst = FakeAnalyst()
        #expect(replica.routes.judgeBoundaries(by: analyst, limit: 2).map(\.decision.decision) == ["advanced"])
        #expect(replica.canary?.lastBoundary == 1_020)
        #expect(replica.routes.judgeBoundaries(by: analyst, limit: 2).map(\.decision.decision) == ["advanced"])
        #expect(replica.routes.judgeBoundaries(by: analyst, limit: 2).map(\.decision.decision) == ["promoted"])
        #expect(replica.routes.judgeBoundaries(by: analyst, limit: 2).isEmpty)
        #expect(analyst.asked.withLock { $0.count } == 6)
    }

    @Test func aFailingCandidateRollsBackAtTheSameBoundaryOnEveryReplica() throws {
        let analyst = FakeAnalyst(errorsFrom: 1_025)
        let replicas = try [Replica(startingAt: 1_100), Replica(startingAt: 1_300)]
        for r in replicas { r.routes.judgeBoundaries(by: analyst) }
        let decisions = replicas.map { $0.canary?.decisions ?? [] }
        #expect(decisions[0] == decisions[1])
        #expect(decisions[0].last?.decision == "rolled_back" && decisions[0].last?.time == 1_040)
        #expect(replicas[0].routes.snapshot.route(named: "fleet")?.arms.last?.weight == 0)
    }

    @Test func anUnreachablePrometheusHoldsTheStepLogsOncePerBoundaryAndIsAskedAgain() throws {
        let replica = try Replica(startingAt: 1_016)
        let analyst = FakeAnalyst()
        analyst.failing.withLock { $0 = 3 }
        for t in [1_016.0, 1_017, 1_018] {
            replica.advance(to: t)
            #expect(replica.routes.judgeBoundaries(by: analyst).isEmpty)
        }
        #expect(replica.canary?.weight == 10 && replica.canary?.lastBoundary == nil)
        let warnings = replica.logs.lines.withLock { $0.filter { $0.contains("cannot judge the boundary at 1010") } }
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.contains("connection refused; holding step 1 (10 %)") == true)
        // Back: the held boundary is judged (too few requests at 1010), nothing is skipped.
        replica.advance(to: 1_026)
        #expect(replica.routes.judgeBoundaries(by: analyst).map(\.decision.time) == [1_020])
        #expect(analyst.asked.withLock { $0.map(\.boundary) } == [1_010, 1_010, 1_010, 1_010, 1_020])
    }

    @Test func aPausedCanaryServesTheSplitAsWrittenAndAsksNothing() throws {
        let yaml = Self.routes(state: "paused").replacingOccurrences(
            of: "[{version: 1, weight: 100}]", with: "[{version: 1, weight: 70}, {version: 2, weight: 30}]")
        let replica = try Replica(yaml: yaml, startingAt: 5_000)
        let analyst = FakeAnalyst()
        #expect(replica.routes.judgeBoundaries(by: analyst).isEmpty)
        #expect(analyst.asked.withLock { $0.isEmpty })
        #expect(replica.routes.snapshot.route(named: "fleet")?.arms.map(\.weight) == [70, 30])
        #expect(replica.canary?.state == .paused)
    }

    @Test func theAdminAPICannotChangeAFleetCanaryAndItsProgressIsNotSaved() throws {
        let files = try TemporaryRepository()
        let file = files.root + "/routes.yaml"
        let local = """
              - name: local
                model: m
                split: [{version: 1, weight: 100}]
                canary: {candidate: 2, steps: [50, 100], interval: 1s, min_requests: 1, max_error_rate: 0.1, max_p99_latency_ratio: 2}
            """
        let yaml = Self.routes(extra: local)
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let replica = try Replica(yaml: yaml, startingAt: 1_200, file: file)
        for operation in Routes.CanaryOperation.allCases {
            #expect {
                try replica.routes.operate("fleet", operation)
            } throws: { error in
                "\(error)".contains("route 'fleet' takes its canary from Prometheus (analysis.prometheus): routes.yaml is the source of truth")
            }
        }
        let configs = try RouteConfig.parseFile(yaml: yaml, file: "routes.yaml")
        #expect(throws: RouteChangeError.conflict(Routes.fleetRefusal("fleet"))) { try replica.routes.replace(configs[0]) }
        // Turning a local canary into a fleet one through the API is refused too.
        var converted = configs[1]
        converted.canary?.analysis = Self.analysis
        #expect(throws: RouteChangeError.conflict(Routes.fleetRefusal("local"))) { try replica.routes.replace(converted) }
        // The local canary's operation saves the state file, without the fleet canary.
        try replica.routes.operate("local", .pause)
        let saved = CanaryStateFile.read(Routes.stateFile(for: file)) { _, _ in }
        #expect(Array(saved.keys) == ["local"])
    }
}
