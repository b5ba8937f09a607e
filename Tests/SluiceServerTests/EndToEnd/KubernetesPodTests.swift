import Foundation
import Testing
@testable import SluiceServer

/// `sluice serve` as a pod in a namespace with Services named `sluice`, `sluice-canary` and
/// `sluice-grpc` sees it: their service-link variables do not stop it, a typo in a real key
/// still does; and what the binary says it is (`--version`, `sluice_build_info`).
@Suite struct KubernetesPodTests {
    @Test func aPodWithTheServiceLinksOfThreeSluiceServicesStartsAndIsReady() throws {
        #expect(sluiceServiceLinks["SLUICE_PORT"] == "tcp://10.96.0.12:8080")
        #expect(sluiceServiceLinks["SLUICE_GRPC_PORT"] == "tcp://[fd00:10:96::14]:8081")
        let (process, port, _, log) = try ShutdownTests.launchWithLog([], environment: sluiceServiceLinks)
        defer { if process.isRunning { process.terminate() } }
        // Served on its configured port (the flag's 0), not on SLUICE_PORT's link.
        #expect(port != 8080 && log.contains("listening on 127.0.0.1:\(port)"))
        #expect(try RawClient(port: port).request("GET", "/v2/health/ready").status == 200)
    }

    @Test func aTypoInARealKeyStillStopsTheStartNamingTheKey() throws {
        let environment = sluiceServiceLinks.merging(["SLUICE_LIMTS_MAX_BODY_BYTES": "1MiB"]) { a, _ in a }
        let scratch = try TemporaryRepository()
        let run = try Tool.run(
            ShutdownTests.binary, ["serve", "--host", "127.0.0.1", "--port", "0", "--models", TestServer.bundledModels],
            directory: scratch.path, environment: environment)
        #expect(run.status == 1)
        #expect(run.stderr.contains("configuration error: environment (SLUICE_*): limts_max_body_bytes: unknown key"), "\(run.stderr)")
    }

    @Test func versionPrintsTheOneVersionString() throws {
        // `serve --version` too: the image's entry point is `sluice serve` (`docker run sluice --version`).
        for arguments in [["--version"], ["serve", "--version"]] {
            let run = try Tool.run(ShutdownTests.binary, arguments)
            #expect(run.status == 0)
            #expect(run.text == "\(BuildInfo.version)\n", "\(arguments)")
        }
        #expect(BuildInfo.version.split(separator: ".").count == 3)
    }

    @Test func buildInfoIsAGaugeOfOneLabelledWithTheVersions() throws {
        let server = try TestServer()
        let c = try server.client()
        let text = try c.request("GET", "/metrics").text
        #expect(text.contains("# TYPE sluice_build_info gauge\n"))
        #expect(metricSample(text, #"sluice_build_info{version="\#(BuildInfo.version)",swift="\#(BuildInfo.swift)"}"#) == 1)
        #expect(BuildInfo.swift.hasPrefix("6."))
        // The V2 server metadata says the same version.
        #expect(try c.request("GET", "/v2").json?["version"] as? String == BuildInfo.version)
    }
}
