import Foundation
import Logging
import SluiceCore
import Testing
@testable import SluiceServer

/// `routes.yaml` reloads end to end (README "Reloading routes.yaml"): the kubelet's ConfigMap swap
/// picked up by the server's own poller under load with not one failed request; and, driven by
/// calling `reloadIfChanged()` directly on a server that does not poll, invalid and vanished
/// files, the server's own writes, what a reload keeps and what it drops, and a read-only file.
@Suite struct RoutesReloadTests {
    /// Route `scoring` over model `m` with version 1 at `v1` % and version 2 at the rest, and
    /// with `extra`, a second route wholly on version 2.
    static func routes(v1: Int, extra: Bool = false) -> String {
        var text = """
            routes:
              - name: scoring
                model: m
                split: [{version: 1, weight: \(v1)}, {version: 2, weight: \(100 - v1)}]

            """
        if extra { text += "  - {name: extra, model: m, split: [{version: 2, weight: 100}]}\n" }
        return text
    }

    static let canary = """
        routes:
          - name: scoring
            model: m
            split: [{version: 1, weight: 100}]
            canary: {candidate: 2, steps: [10, 50, 100], interval: 1h, min_requests: 1000000, max_error_rate: 0.05, max_p99_latency_ratio: 50}
          - {name: extra, model: m, split: [{version: 2, weight: 100}]}

        """

    /// A server over the fixture's repository with `routes` as its routes file, the admin
    /// token, and its log in `lines`. `poll` 0: the test drives the reloads itself.
    static func server(_ fixture: RoutingFixture, routes: String, poll: Double = 0, lines: CapturedLines = CapturedLines()) throws -> TestServer {
        var logger = Logger(label: "reload") { _ in CapturingHandler(lines: lines) }
        logger.logLevel = .info
        return try TestServer(models: fixture.repository.path, logger: logger) { config in
            config.routes = routes
            config.adminTokenFile = fixture.tokenFile
            config.pollInterval = poll
        }
    }

    /// The weights in force of `route`'s split, by the admin API; nil when there is no such route.
    static func weights(_ client: RawClient, _ route: String) throws -> [Int]? {
        let live = try client.request("GET", "/v2/routes/\(route)", headers: RoutingFixture.auth)
        guard live.status == 200 else { return nil }
        return (live.json?["split"] as? [[String: Any]])?.compactMap { $0["weight"] as? Int }
    }

    static func version(_ client: RawClient, _ model: String) throws -> String? {
        try client.request("POST", "/v2/models/\(model)/infer", json: RoutingFixture.body).headers["x-sluice-model-version"]
    }

    static func canary(_ client: RawClient) throws -> (state: String?, decisions: [String]) {
        let canary = try client.request("GET", "/v2/routes/scoring", headers: RoutingFixture.auth).json?["canary"] as? [String: Any]
        let decisions = (canary?["decisions"] as? [[String: Any]] ?? []).compactMap { $0["decision"] as? String }
        return (canary?["state"] as? String, decisions)
    }

    static func metric(_ client: RawClient, _ series: String) throws -> String? {
        let scrape = try client.request("GET", "/metrics").text
        return scrape.split(separator: "\n").first { $0.hasPrefix(series + " ") }.map { String($0.dropFirst(series.count + 1)) }
    }

    /// Two looks, as two polls would: the first sees new bytes, the second applies them once they
    /// read the same again.
    static func settle(_ routes: Routes) -> Routes.ReloadResult {
        let first = routes.reloadIfChanged()
        #expect(first == .unchanged, "new bytes wait one look to settle")
        return routes.reloadIfChanged()
    }

    static let successes = #"sluice_config_reloads_total{file="routes",result="success"}"#
    static let failures = #"sluice_config_reloads_total{file="routes",result="failure"}"#
    static let lastGood = #"sluice_config_last_reload_successful{file="routes"}"#

    @Test func aConfigMapSwappedEightTimesUnderLoadIsAppliedWithoutAFailedRequest() throws {
        let fixture = try RoutingFixture(routes: "routes: []\n")
        let configMap = try ConfigMapFolder(["routes.yaml": Self.routes(v1: 100)])
        let server = try Self.server(fixture, routes: configMap.file("routes.yaml"), poll: 0.05)

        // Three clients send to the route without pause until told to stop.
        let clients = ClientLoops(port: server.port) { try $0.request("POST", "/v2/models/scoring/infer", json: RoutingFixture.body) }
        #expect(eventually(within: 15) { clients.sent > 0 }, "no client got going")

        let admin = try server.client()
        let splits = [0, 100, 30, 70, 50, 100, 0, 20]
        for (i, v1) in splits.enumerated() {
            try configMap.update(["routes.yaml": Self.routes(v1: v1, extra: i % 2 == 0)])
            #expect(try eventually(within: 20) {
                try Self.weights(admin, "scoring") == [v1, 100 - v1] && (try Self.weights(admin, "extra") != nil) == (i % 2 == 0)
            }, "swap \(i + 1) (version 1 at \(v1) %) was not applied")
        }
        clients.stop()

        #expect(clients.failed == 0, "\(clients.failed) of \(clients.sent) requests failed")
        #expect(clients.sent > 50)
        #expect(clients.versions == ["1", "2"])
        #expect(try Self.metric(admin, Self.successes) == "8")
        #expect(try Self.metric(admin, Self.failures) == "0")
        #expect(try Self.metric(admin, Self.lastGood) == "1")
    }

    @Test(arguments: [
        ("routes: [{name: scoring, model: m\n", "is not valid YAML"),
        ("routes:\n  - {name: scoring, model: m, split: [{version: 2, weight: 100}], colour: blue}\n", "routes[0].colour: unknown key"),
        ("routes:\n  - {name: scoring, model: m, split: [{version: 1, weight: 50}, {version: 2, weight: 40}]}\n", "routes[0].split: weights must sum to 100, they sum to 90"),
    ])
    func anInvalidFileKeepsTheRoutesInForceAndIsLoggedAndCountedOnce(_ text: String, _ reason: String) throws {
        let fixture = try RoutingFixture(routes: Self.routes(v1: 100))
        let lines = CapturedLines()
        let server = try Self.server(fixture, routes: fixture.routesFile, lines: lines)
        let routes = server.server.routes
        let c = try server.client()
        #expect(Self.settle(routes) == .unchanged, "the first looks find what start-up loaded")

        try fixture.files.write(text, to: "config/routes.yaml")
        guard case .refused(let error) = Self.settle(routes) else {
            Issue.record("an invalid file must be refused")
            return
        }
        #expect(error.description.contains(reason), "\(error)")
        #expect(routes.reloadIfChanged() == .unchanged, "the same broken file is refused once")
        let logged = lines.messages.filter { $0.contains("routes file not reloaded") }
        #expect(logged.count == 1 && logged.first?.contains(reason) == true, "\(lines.messages)")
        #expect(try Self.version(c, "scoring") == "1")
        #expect(try Self.weights(c, "scoring") == [100, 0])
        #expect(try Self.metric(c, Self.failures) == "1")
        #expect(try Self.metric(c, Self.lastGood) == "0")

        // Fixed: applied, and the gauge says so.
        try fixture.files.write(Self.routes(v1: 0), to: "config/routes.yaml")
        var changes = Routes.Changes()
        changes.changed = ["scoring"]
        #expect(Self.settle(routes) == .applied(changes))
        #expect(try Self.version(c, "scoring") == "2")
        #expect(try Self.metric(c, Self.successes) == "1")
        #expect(try Self.metric(c, Self.lastGood) == "1")
    }

    @Test func aFileThatDisappearsKeepsTheRoutesAndIsLoggedOnce() throws {
        let fixture = try RoutingFixture(routes: Self.routes(v1: 100))
        let lines = CapturedLines()
        let server = try Self.server(fixture, routes: fixture.routesFile, lines: lines)
        let routes = server.server.routes
        let c = try server.client()
        try FileManager.default.removeItem(atPath: fixture.routesFile)
        guard case .unreadable(let reason) = routes.reloadIfChanged() else {
            Issue.record("a vanished file must be reported")
            return
        }
        #expect(reason.hasPrefix("is gone"), "\(reason)")
        #expect(routes.reloadIfChanged() == .unchanged)
        #expect(routes.reloadIfChanged() == .unchanged)
        #expect(lines.messages.filter { $0.contains("routes in force stay until it is back") }.count == 1, "\(lines.messages)")
        #expect(try Self.version(c, "scoring") == "1")
        #expect(try Self.metric(c, Self.failures) == "1")
        #expect(try Self.metric(c, Self.lastGood) == "0")

        // Back as it was: nothing changes but the gauge.
        try fixture.files.write(Self.routes(v1: 100), to: "config/routes.yaml")
        #expect(Self.settle(routes) == .applied(Routes.Changes()))
        #expect(try Self.metric(c, Self.lastGood) == "1")
    }

    @Test func aPutIsNotAppliedASecondTimeByTheWatch() throws {
        let fixture = try RoutingFixture(routes: Self.routes(v1: 100))
        let server = try Self.server(fixture, routes: fixture.routesFile)
        let routes = server.server.routes
        let c = try server.client()
        let body = #"{"model":"m","split":[{"version":1,"weight":100}],"canary":{"candidate":2,"steps":[10,100],"interval":"1h","min_requests":1000000,"max_error_rate":0.05,"max_p99_latency_ratio":50}}"#
        #expect(try c.request("PUT", "/v2/routes/scoring", json: body, headers: RoutingFixture.auth).status == 200)
        #expect(try c.request("POST", "/v2/routes/scoring/canary/pause", body: [], headers: RoutingFixture.auth).status == 200)
        #expect(routes.reloadIfChanged() == .unchanged)
        #expect(routes.reloadIfChanged() == .unchanged)
        #expect(try Self.canary(c) == ("paused", ["started", "paused"]))
        #expect(try Self.weights(c, "scoring") == [90, 10])
        #expect(try Self.metric(c, Self.successes) == "0")
    }

    @Test func aPutWhileAnEditOnDiskWaitsIsRefusedInsteadOfOverwritingIt() throws {
        let fixture = try RoutingFixture(routes: Self.routes(v1: 100))
        let server = try Self.server(fixture, routes: fixture.routesFile)
        let routes = server.server.routes
        let c = try server.client()
        #expect(routes.reloadIfChanged() == .unchanged)   // the first two looks: the file in force
        #expect(routes.reloadIfChanged() == .unchanged)
        try fixture.files.write(Self.routes(v1: 90), to: "config/routes.yaml")
        #expect(routes.reloadIfChanged() == .unchanged)   // seen once: not settled yet
        let body = #"{"model":"m","split":[{"version":1,"weight":100}]}"#
        let refused = try c.request("PUT", "/v2/routes/other", json: body, headers: RoutingFixture.auth)
        #expect(refused.status == 409)
        #expect(String(decoding: refused.body, as: UTF8.self).contains("changed on disk"))
        #expect(try String(contentsOfFile: fixture.routesFile, encoding: .utf8) == Self.routes(v1: 90))
        #expect(routes.reloadIfChanged() != .unchanged)   // the edit applies
        #expect(try c.request("PUT", "/v2/routes/other", json: body, headers: RoutingFixture.auth).status == 200)
    }

    @Test func aRoutesPathThatIsNoRegularFileOrTooLargeIsUnreadableWithoutReadingIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-routesfile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(mkfifo("\(dir)/fifo", 0o600) == 0)
        #expect(RoutesFile.look("\(dir)/fifo") == .unreadable("is not a regular file"))   // would block on open
        #expect(RoutesFile.look("/dev/zero") == .unreadable("is not a regular file"))
        let big = [UInt8](repeating: UInt8(ascii: "#"), count: (1 << 20) + 1)
        _ = FileManager.default.createFile(atPath: "\(dir)/big.yaml", contents: Data(big))
        #expect(RoutesFile.look("\(dir)/big.yaml") == .unreadable("is larger than 1024 KiB"))
    }

    @Test func aReloadKeepsAnUnchangedCanaryRestartsAChangedOneAndDropsARemovedRoute() throws {
        let fixture = try RoutingFixture(routes: Self.canary)
        let server = try Self.server(fixture, routes: fixture.routesFile)
        let routes = server.server.routes
        let c = try server.client()
        #expect(try c.request("POST", "/v2/routes/scoring/canary/pause", body: [], headers: RoutingFixture.auth).status == 200)
        #expect(try Self.version(c, "extra") == "2")
        #expect(try c.request("GET", "/metrics").text.contains(#"route="extra""#))

        // Another route changes: the canary keeps its state and record.
        try fixture.files.write(Self.canary.replacingOccurrences(of: "{version: 2, weight: 100}", with: "{version: 1, weight: 100}"), to: "config/routes.yaml")
        var changes = Routes.Changes()
        changes.changed = ["extra"]
        #expect(Self.settle(routes) == .applied(changes))
        #expect(try Self.version(c, "extra") == "1")
        #expect(try Self.canary(c) == ("paused", ["started", "paused"]))

        // The canary changes and `extra` goes: the canary starts over, `extra` answers 404 and
        // its series leave the scrape.
        let changed = """
            routes:
              - name: scoring
                model: m
                split: [{version: 1, weight: 100}]
                canary: {candidate: 2, steps: [20, 100], interval: 1h, min_requests: 1000000, max_error_rate: 0.05, max_p99_latency_ratio: 50}

            """
        try fixture.files.write(changed, to: "config/routes.yaml")
        changes = Routes.Changes()
        changes.changed = ["scoring"]
        changes.removed = ["extra"]
        changes.canariesStarted = ["scoring"]
        #expect(Self.settle(routes) == .applied(changes))
        #expect(try Self.canary(c) == ("progressing", ["started"]))
        #expect(try Self.weights(c, "scoring") == [80, 20])
        #expect(try c.request("POST", "/v2/models/extra/infer", json: RoutingFixture.body).status == 404)
        let scrape = try c.request("GET", "/metrics").text
        #expect(!scrape.contains(#"route="extra""#), "\(scrape.split(separator: "\n").filter { $0.contains("extra") })")
        #expect(scrape.contains(#"sluice_canary_decisions_total{route="scoring",decision="started"} 2"#))
    }

    @Test func aConfigMapRoutesFileKeepsTheAdminReadsAndAnswersAPut409() throws {
        let fixture = try RoutingFixture(routes: "routes: []\n")
        let configMap = try ConfigMapFolder(["routes.yaml": Self.routes(v1: 100)])
        let server = try Self.server(fixture, routes: configMap.file("routes.yaml"))
        let c = try server.client()
        let list = try c.request("GET", "/v2/routes", headers: RoutingFixture.auth)
        #expect(list.status == 200 && list.text.contains(#""name":"scoring""#), "\(list.text)")
        #expect(try Self.weights(c, "scoring") == [100, 0])
        let put = try c.request("PUT", "/v2/routes/scoring", json: #"{"model":"m","split":[{"version":2,"weight":100}]}"#, headers: RoutingFixture.auth)
        #expect(put.status == 409)
        #expect(put.error?.contains("is read-only (a ConfigMap?): edit the ConfigMap") == true, "\(put.text)")
        #expect(try String(contentsOfFile: configMap.file("routes.yaml"), encoding: .utf8) == Self.routes(v1: 100))
        #expect(try Self.version(c, "scoring") == "1")
    }

    @Test func aStateFileThatCannotBeSavedIsLoggedOnceUntilItCanAgain() throws {
        let fixture = try RoutingFixture(routes: Self.canary)
        // A folder where the state file should be: every save fails, whoever runs the test.
        try FileManager.default.createDirectory(atPath: fixture.stateFile, withIntermediateDirectories: true)
        let lines = CapturedLines()
        let server = try Self.server(fixture, routes: fixture.routesFile, lines: lines)
        let c = try server.client()
        for operation in ["pause", "resume", "pause", "resume", "pause"] {
            #expect(try c.request("POST", "/v2/routes/scoring/canary/\(operation)", body: [], headers: RoutingFixture.auth).status == 200)
        }
        #expect(lines.messages.filter { $0.contains("canary state not saved") }.count == 1, "\(lines.messages)")
        try FileManager.default.removeItem(atPath: fixture.stateFile)
        #expect(try c.request("POST", "/v2/routes/scoring/canary/resume", body: [], headers: RoutingFixture.auth).status == 200)
        #expect(lines.messages.filter { $0.contains("saved to \(fixture.stateFile) again") }.count == 1, "\(lines.messages)")
        #expect(FileManager.default.fileExists(atPath: fixture.stateFile))
    }

    /// A folder this process cannot write (permissions, or an immutable inode for root), as a
    /// ConfigMap's read-only mount is: only where the test can make one.
    @Test(.enabled(if: ReadOnlyFolder.canMake, "cannot make a read-only folder here (root without chattr)"))
    func aReadOnlyFolderAnswersAPut409AndStillReloads() throws {
        let fixture = try RoutingFixture(routes: Self.canary)
        let folder = fixture.files.path + "/config"
        let lines = CapturedLines()
        let server = try Self.server(fixture, routes: fixture.routesFile, lines: lines)
        let c = try server.client()
        try ReadOnlyFolder.make(folder)
        // Before the fixture goes (and removes its folders), which this use keeps until then.
        defer { ReadOnlyFolder.undo(folder); withExtendedLifetime(fixture) {} }
        #expect(try c.request("GET", "/v2/routes", headers: RoutingFixture.auth).status == 200)
        let put = try c.request("PUT", "/v2/routes/extra", json: #"{"model":"m","split":[{"version":1,"weight":100}]}"#, headers: RoutingFixture.auth)
        #expect(put.status == 409 && put.error?.contains("is read-only") == true, "\(put.text)")
        for operation in ["pause", "resume", "pause"] {
            #expect(try c.request("POST", "/v2/routes/scoring/canary/\(operation)", body: [], headers: RoutingFixture.auth).status == 200)
        }
        #expect(lines.messages.filter { $0.contains("canary state not saved") }.count == 1, "\(lines.messages)")
        // The file itself can still change in place (the folder stays as it is): it is read as ever.
        try Data(Self.canary.replacingOccurrences(of: "{version: 2, weight: 100}", with: "{version: 1, weight: 100}").utf8)
            .write(to: URL(fileURLWithPath: fixture.routesFile))
        var changes = Routes.Changes()
        changes.changed = ["extra"]
        #expect(Self.settle(server.server.routes) == .applied(changes))
    }
}

/// Makes a folder read-only for this process: `chmod 555` for a normal user; for root, whom
/// permissions do not stop, `chattr +i` (ext4, xfs, btrfs).
enum ReadOnlyFolder {
    static let canMake: Bool = {
        guard let probe = try? TemporaryRepository() else { return false }
        guard (try? make(probe.path)) != nil else { return false }
        defer { undo(probe.path) }
        return access(probe.path, W_OK) != 0
    }()

    static func make(_ path: String) throws {
        if geteuid() == 0 {
            let result = try Tool.run("chattr", ["+i", path])
            guard result.status == 0 else { throw CocoaError(.fileWriteNoPermission) }
        } else {
            guard chmod(path, 0o555) == 0 else { throw CocoaError(.fileWriteNoPermission) }
        }
    }

    static func undo(_ path: String) {
        if geteuid() == 0 { _ = try? Tool.run("chattr", ["-i", path]) } else { _ = chmod(path, 0o755) }
    }
}
