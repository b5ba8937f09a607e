import Foundation
import Glibc
import Logging
import Synchronization
import Testing
@testable import SluiceServer

/// `/metrics` over a real socket: counts equal what was sent, both exposition formats, a clean
/// `promtool check metrics`, a real Prometheus scraping Sluice, and the access log.
@Suite struct MetricsTests {
    private static let row = (0..<20).map { _ in "0.5" }.joined(separator: ",")
    private static let body = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#(row)]}]}"#

    @Test func countsEqualTheRequestsSentByCodeAndVersion() throws {
        let server = try TestServer()
        let c = try server.client()
        for _ in 0..<3 { #expect(try c.request("POST", "/v2/models/fraud/versions/1/infer", json: Self.body).status == 200) }
        for _ in 0..<2 { #expect(try c.request("POST", "/v2/models/fraud/infer", json: Self.body).status == 200) }
        #expect(try c.request("POST", "/v2/models/fraud/versions/1/infer", json: "{").status == 400)
        #expect(try c.request("POST", "/v2/models/what-is-this/infer", json: Self.body).status == 404)
        #expect(try c.request("POST", "/v2/models/fraud/versions/8/infer", json: Self.body).status == 404)

        let a = try c.request("GET", "/metrics")
        #expect(a.status == 200)
        #expect(a.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        let text = a.text
        let v1 = #"sluice_requests_total{route="",model="fraud",version="1",protocol="v2",code="#
        #expect(metricSample(text, v1 + #""200"}"#) == 3)
        #expect(metricSample(text, v1 + #""400"}"#) == 1)
        #expect(metricSample(text, #"sluice_requests_total{route="",model="fraud",version="2",protocol="v2",code="200"}"#) == 2)
        #expect(metricSample(text, #"sluice_requests_total{route="",model="",version="",protocol="v2",code="404"}"#) == 1)
        #expect(metricSample(text, #"sluice_requests_total{route="",model="fraud",version="",protocol="v2",code="404"}"#) == 1)
        #expect(!text.contains("what-is-this"), "a client's model name must not become a label")
        #expect(metricSample(text, #"sluice_request_duration_seconds_count{route="",model="fraud",version="1"}"#) == 4)
        #expect(metricSample(text, #"sluice_compute_duration_seconds_count{model="fraud",version="1"}"#) == 3)
        #expect(metricSample(text, #"sluice_batch_size_count{model="fraud",version="2"}"#) == 2)
        #expect(metricSample(text, #"sluice_model_version_state{model="fraud",version="2",state="ready"}"#) == 1)
        #expect(metricSample(text, #"sluice_model_version_state{model="fraud",version="2",state="loading"}"#) == 0)
        #expect(metricSample(text, #"sluice_connections_open{protocol="http1"}"#) ?? 0 >= 1)
        #expect(metricSample(text, #"sluice_http_errors_total{code="404"}"#) == 2)
        #expect(metricSample(text, #"sluice_model_load_failures_total{model="fraud"}"#) == nil)
        #expect((metricSample(text, "process_resident_memory_bytes") ?? 0) > 1_000_000)
        #expect(text.contains(#"sluice_model_load_duration_seconds_count{model="iris"} 1"#))
    }

    @Test func openMetricsIsServedWhenTheScraperAsksForIt() throws {
        let server = try TestServer()
        let c = try server.client()
        _ = try c.request("POST", "/v2/models/fraud/infer", json: Self.body)
        let a = try c.request("GET", "/metrics", headers: ["Accept": "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"])
        #expect(a.headers["content-type"] == "application/openmetrics-text; version=1.0.0; charset=utf-8")
        #expect(a.text.hasSuffix("# EOF\n"))
        #expect(a.text.contains("# TYPE sluice_requests counter"))
        #expect(a.text.contains(#"sluice_requests_total{route="",model="fraud",version="2",protocol="v2",code="200"} 1"#))
    }

    @Test func promtoolFindsNothingToLintInALiveScrape() throws {
        let promtool = try #require(["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                    "promtool is missing: make test installs Debian's prometheus package")
        let server = try TestServer()
        let c = try server.client()
        _ = try c.request("POST", "/v2/models/fraud/infer", json: Self.body)
        _ = try c.request("POST", "/v2/models/nope/infer", json: Self.body)
        let scrape = try c.request("GET", "/metrics")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(scrape.body))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(report)")
        #expect(report.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(report)")
    }

    @Test func aRealPrometheusScrapesSluice() throws {
        let binary = try #require(["/usr/bin/prometheus", "/usr/local/bin/prometheus"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                  "prometheus is missing: make test installs Debian's prometheus package")
        let server = try TestServer()
        _ = try server.client().request("POST", "/v2/models/fraud/infer", json: Self.body)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-prom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = """
            global: {scrape_interval: 1s}
            scrape_configs:
              - job_name: sluice
                static_configs: [{targets: ['127.0.0.1:\(server.port)']}]
            """
        try Data(config.utf8).write(to: dir.appendingPathComponent("prometheus.yml"))
        let promPort = try Self.freePort()
        let prometheus = Process()
        prometheus.executableURL = URL(fileURLWithPath: binary)
        prometheus.arguments = ["--config.file=\(dir.path)/prometheus.yml", "--storage.tsdb.path=\(dir.path)/data",
                                "--web.listen-address=127.0.0.1:\(promPort)"]
        prometheus.standardOutput = FileHandle.nullDevice
        prometheus.standardError = FileHandle.nullDevice
        try prometheus.run()
        defer { prometheus.terminate(); prometheus.waitUntilExit() }

        // Ask Prometheus (bounded: 40 s) until it has scraped the counter.
        var found = false
        let deadline = Date().addingTimeInterval(40)
        while !found && Date() < deadline {
            usleep(250_000)
            guard let client = try? RawClient(port: promPort),
                  let answer = try? client.request("GET", "/api/v1/query?query=sluice_requests_total%7Bcode%3D%22200%22%7D")
            else { continue }
            let data = (answer.json?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
            found = data.contains { (($0["metric"] as? [String: String])?["model"]) == "fraud" }
        }
        #expect(found, "Prometheus did not report sluice_requests_total for fraud")
    }

    @Test func theAccessLogWritesOneJSONLinePerRequest() throws {
        let lines = CapturedLines()
        var logger = Logger(label: "access") { _ in CapturingHandler(lines: lines) }
        logger.logLevel = .info
        var config = ServerConfig()
        config.host = "127.0.0.1"
        config.port = 0
        config.threads = 1
        config.pollInterval = 0
        config.models = TestServer.bundledModels
        config.accessLog = true
        let server = try Server(config: config, logger: logger)
        try server.start()
        defer { server.stop() }
        let c = try RawClient(port: server.port)
        let first = try c.request("POST", "/v2/models/fraud/versions/1/infer", json: Self.body, headers: ["x-request-id": "trace-me-7"])
        #expect(first.status == 200)
        #expect(first.headers["x-request-id"] == "trace-me-7")
        let second = try c.request("GET", "/v2/models/nope")
        #expect(second.status == 404)
        let made = try #require(second.headers["x-request-id"])
        #expect(made.utf8.count == 15)
        let json = lines.all.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(json.count == 2, "\(lines.all)")
        #expect(json.first?["method"] as? String == "POST")
        #expect(json.first?["path"] as? String == "/v2/models/fraud/versions/1/infer")
        #expect(json.first?["status"] as? Int == 200)
        #expect(json.first?["model"] as? String == "fraud")
        #expect(json.first?["version"] as? String == "1")
        #expect((json.first?["bytes"] as? Int ?? 0) > 0)
        #expect(json.first?["duration_ms"] is Double)
        #expect(json.last?["status"] as? Int == 404)
        #expect(json.first?["request_id"] as? String == "trace-me-7")
        #expect(json.first?["endpoint"] as? String == "/v2/models/{model}/versions/{version}/infer")
        #expect(json.first?["protocol"] as? String == "v2")
        #expect(json.last?["request_id"] as? String == made)
        #expect(json.allSatisfy { $0["grpc_status"] == nil }, "a REST line has no gRPC code")
        // A gRPC call's line: the HTTP status its outcome stands for, and the code it got.
        let call = try GRPCProbe.call(port: server.port, "/inference.GRPCInferenceService/NoSuchMethod", body: [0, 0, 0, 0, 0])
        #expect(call.status == "12")
        let grpc = try #require(lines.all.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(grpc["protocol"] as? String == "grpc")
        #expect(grpc["status"] as? Int == 404)
        #expect(grpc["grpc_status"] as? Int == 12)
        #expect(grpc["path"] as? String == "/inference.GRPCInferenceService/NoSuchMethod")
    }

    @Test func anUnloadedVersionLeavesTheScrapeSoReloadsDoNotGrowIt() throws {
        let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-token-\(UUID().uuidString)").path
        try Data("s3cret\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        let server = try TestServer { $0.pollInterval = 0; $0.adminTokenFile = tokenFile }
        let c = try server.client()
        let auth = ["Authorization": "Bearer s3cret"]
        let series = #"model="fraud",version="1""#
        var sizes: [Int] = []
        for _ in 0..<3 {
            #expect(try c.request("POST", "/v2/models/fraud/versions/1/infer", json: Self.body).status == 200)
            #expect(try c.request("GET", "/metrics").text.contains(series))
            #expect(try c.request("POST", "/v2/repository/models/fraud/unload", body: [], headers: auth).status == 200)
            let scrape = try c.request("GET", "/metrics").text
            let left = scrape.split(separator: "\n").filter { $0.contains(series) && !$0.hasPrefix("sluice_model_version_state") }
            #expect(left.isEmpty, "\(left)")
            sizes.append(scrape.split(separator: "\n").count)
            #expect(try c.request("POST", "/v2/repository/models/fraud/load", body: [], headers: auth).status == 200)
        }
        // Each cycle leaves the scrape with as many lines as it found.
        #expect(Set(sizes).count == 1, "\(sizes)")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Lines logged at info level or above: `all` the JSON access-log lines, `messages` every line.
final class CapturedLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 }.filter { $0.hasPrefix("{") } }
    var messages: [String] { lines.withLock { $0 } }
}

struct CapturingHandler: LogHandler {
    let lines: CapturedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        lines.append(event.message.description)
    }
}
