import Foundation
import Testing

/// Runs a real command-line client (curl, openssl, gzip, python3) found on PATH and collects its
/// output. A missing tool fails the test with its name instead of skipping anything; every run
/// is killed after `timeout` seconds so a hung client cannot hang the suite.
enum Tool {
    struct Output {
        var status: Int32
        var stdout: Data
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
        var all: String { text + stderr }
    }

    struct Missing: Error, CustomStringConvertible {
        var name: String
        var description: String { "\(name) is not installed (needed by this test; see scripts/ensure-deps.sh)" }
    }

    /// The absolute path of `name` on PATH (a name with a slash is a path already).
    static func path(_ name: String) throws -> String {
        if name.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: name) else { throw Missing(name: name) }
            return name
        }
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for dir in dirs where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") { return "\(dir)/\(name)" }
        throw Missing(name: name)
    }

    /// `environment` is added to the test's own.
    @discardableResult
    static func run(
        _ name: String, _ arguments: [String], input: Data = Data(), directory: String? = nil, environment: [String: String] = [:],
        timeout: Double = 30
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path(name))
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        // Files rather than pipes: a chatty tool cannot block on a full pipe nobody reads yet.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let inURL = scratch.appendingPathComponent("in"), outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        try input.write(to: inURL)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let stdin = try FileHandle(forReadingFrom: inURL), stdout = try FileHandle(forWritingTo: outURL), stderr = try FileHandle(forWritingTo: errURL)
        defer { try? stdin.close(); try? stdout.close(); try? stderr.close() }
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        process.waitUntilExit()
        watchdog.cancel()
        return Output(status: process.terminationStatus, stdout: try Data(contentsOf: outURL),
                      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// Python's zlib on `input`: `code` is a Python expression of `data` whose bytes are the output.
    static func python(_ code: String, _ input: [UInt8]) throws -> [UInt8] {
        let out = try run("python3", ["-c", "import sys, zlib, gzip; data = sys.stdin.buffer.read(); sys.stdout.buffer.write(\(code))"],
                          input: Data(input))
        #expect(out.status == 0, "\(out.stderr)")
        return Array(out.stdout)
    }
}

/// Certificates made with the `openssl` command line in a temporary folder: a self-signed
/// server certificate, and a CA with a client certificate it signed (for mTLS).
final class TestCertificates {
    let dir: String
    var serverCert: String { "\(dir)/server.crt" }
    var serverKey: String { "\(dir)/server.key" }
    var caCert: String { "\(dir)/ca.crt" }
    var clientCert: String { "\(dir)/client.crt" }
    var clientKey: String { "\(dir)/client.key" }

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try makeServerCertificate(commonName: "sluice-test-server", cert: serverCert, key: serverKey)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// A self-signed P-256 certificate for 127.0.0.1 with subject CN=`commonName`.
    func makeServerCertificate(commonName: String, cert: String, key: String) throws {
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                     "-keyout", key, "-out", cert, "-subj", "/CN=\(commonName)",
                     "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
    }

    /// A CA and a client certificate it signed.
    func makeClientCertificates() throws {
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                     "-keyout", "\(dir)/ca.key", "-out", caCert, "-subj", "/CN=sluice-test-ca"])
        try openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", clientKey, "-out", "\(dir)/client.csr", "-subj", "/CN=sluice-test-client"])
        try openssl(["x509", "-req", "-in", "\(dir)/client.csr", "-CA", caCert, "-CAkey", "\(dir)/ca.key", "-CAcreateserial",
                     "-days", "2", "-out", clientCert])
    }

    private func openssl(_ arguments: [String]) throws {
        let out = try Tool.run("openssl", arguments, directory: dir)
        try #require(out.status == 0, "openssl \(arguments.joined(separator: " ")): \(out.stderr)")
    }
}
