import Foundation
import Glibc
import Testing
@testable import SluiceServer

/// `sluice serve` as a process: SIGTERM with a request in flight answers it, tells keep-alive
/// clients `Connection: close`, closes idle ones, and exits 0.
@Suite struct ShutdownTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Starts the debug binary that `swift build --build-tests` made, on a kernel-chosen port.
    static func launch(_ extraArguments: [String] = []) throws -> (Process, Int, Pipe) {
        let (process, port, errors, _) = try launchWithLog(extraArguments)
        return (process, port, errors)
    }

    /// The debug binary, beside the test bundle in whatever build folder made both.
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sluice").path

    /// `launch`, also returning the log up to the "listening on" line (which names a TLS port too).
    /// With `openFiles`, /bin/sh starts it under `ulimit -n openFiles` (soft and hard limits).
    /// `models` nil leaves `--models` out; `environment` is added to the test's own; `directory`
    /// is the working directory (a temporary folder by default, where no config/ is read).
    static func launchWithLog(
        _ extraArguments: [String], openFiles: Int? = nil, models: String? = TestServer.bundledModels,
        environment: [String: String] = [:], directory: String? = nil
    ) throws -> (Process, Int, Pipe, String) {
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build first: swift build --build-tests")
        let process = Process()
        let arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--threads", "1"]
            + (models.map { ["--models", $0] } ?? []) + extraArguments
        if let openFiles {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n \(openFiles) && exec \"$0\" \"$@\"", binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        process.currentDirectoryURL = directory.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The log line "listening on 127.0.0.1:PORT" says where it is.
        var seen = ""
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
            if let range = seen.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                let port = Int(seen[range].split(separator: ":").last ?? "") ?? 0
                return (process, port, errors, seen)
            }
        }
        process.terminate()
        throw RawClient.Failure.malformed("no listening line in: \(seen)")
    }

    @Test func sigtermAnswersInFlightRequestsThenExitsZero() throws {
        let (process, port, _) = try Self.launch()
        defer { if process.isRunning { process.terminate() } }
        let idle = try RawClient(port: port)
        #expect(try idle.request("GET", "/v2/health/ready").status == 200)

        // A request whose body is still arriving when the signal comes.
        let busy = try RawClient(port: port)
        let body = #"{"inputs":[{"name":"input","datatype":"FP32","shape":[1,20],"data":[\#((0..<20).map { _ in "0.25" }.joined(separator: ","))]}]}"#
        let bytes = Array(body.utf8)
        busy.send("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\nContent-Length: \(bytes.count)\r\n\r\n")
        busy.send(Array(bytes[0..<10]))
        // Let the server see the head before the signal.
        #expect(try idle.request("GET", "/v2/health/live").status == 200)

        kill(process.processIdentifier, SIGTERM)
        #expect(idle.isClosedByPeer())
        busy.send(Array(bytes[10...]))
        let answer = try busy.readAnswer()
        #expect(answer.status == 200, "\(answer.text)")
        #expect(answer.headers["connection"] == "close")
        #expect(throws: (any Error).self) { _ = try RawClient(port: port).request("GET", "/v2/health/live") }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func clientsThatResetWhileAnsweredDoNotTakeTheProcessDown() throws {
        let (process, port, _) = try Self.launch()
        defer { if process.isRunning { process.terminate() } }
        for _ in 0..<20 {
            let c = try RawClient(port: port)
            // Many pipelined requests, then a reset (linger 0) before reading any answer: the
            // server's writes meet EPIPE or ECONNRESET, which must cost only this connection.
            c.send(String(repeating: "GET /v2/models/fraud HTTP/1.1\r\nHost: x\r\n\r\n", count: 400))
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        #expect(try RawClient(port: port).request("GET", "/v2/health/live").status == 200)
        #expect(process.isRunning)
    }

    @Test func aSecondServerOnAPortInUseExitsInsteadOfSharingIt() throws {
        let (first, port, _) = try Self.launch()
        defer { if first.isRunning { first.terminate() } }
        // SO_REUSEPORT would let the second bind beside the first and take half its connections.
        let second = try Tool.run(
            Self.binary, ["serve", "--host", "127.0.0.1", "--port", String(port), "--models", TestServer.bundledModels, "--threads", "2"])
        #expect(second.status != 0)
        #expect(second.all.contains("Address already in use"), "\(second.all)")
        for _ in 0..<10 { #expect(try RawClient(port: port).request("GET", "/v2/health/live").status == 200) }
        #expect(first.isRunning)
    }
}
