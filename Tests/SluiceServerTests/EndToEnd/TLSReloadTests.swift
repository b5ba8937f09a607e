import Foundation
import Glibc
import Testing
@testable import SluiceServer

/// SIGHUP on the real `sluice` binary: new handshakes get the new certificate, a connection
/// made before keeps working, and a broken certificate file keeps the last good one.
@Suite struct TLSReloadTests {
    /// The subject line of the certificate the server presents now.
    static func servedSubject(_ port: Int) throws -> String {
        let out = try Tool.run("openssl", ["s_client", "-connect", "127.0.0.1:\(port)"])
        return out.text.split(separator: "\n").first { $0.hasPrefix("subject=") }.map(String.init) ?? out.all
    }

    /// Reads the server's log until `text` appears (the process is killed by a watchdog if it never does).
    static func waitForLog(_ errors: Pipe, _ text: String, seen: inout String) -> Bool {
        while !seen.contains(text) {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { return false }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        return true
    }

    /// An `openssl s_client` kept open: one TLS connection that requests go through one by one.
    final class HeldConnection {
        let process = Process()
        let input = Pipe(), output = Pipe()
        private var received = ""

        init(port: Int) throws {
            process.executableURL = URL(fileURLWithPath: try Tool.path("openssl"))
            process.arguments = ["s_client", "-quiet", "-ign_eof", "-connect", "127.0.0.1:\(port)"]
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        deinit { if process.isRunning { process.terminate() } }

        /// Sends a GET and reads until its answer's body (`expect`) has arrived.
        func get(_ path: String, expect: String) -> Bool {
            input.fileHandleForWriting.write(Data("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            while !received.contains(expect) {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { return false }
                received += String(decoding: chunk, as: UTF8.self)
            }
            received = ""
            return true
        }
    }

    @Test func sighupLoadsANewCertificateWithoutDroppingConnections() throws {
        let certs = try TestCertificates()
        try certs.makeServerCertificate(commonName: "sluice-before-reload", cert: certs.serverCert, key: certs.serverKey)
        let configFile = "\(certs.dir)/sluice.yaml"
        try Data("tls: {port: 0, cert: \(certs.serverCert), key: \(certs.serverKey)}\n".utf8).write(to: URL(fileURLWithPath: configFile))
        let (process, _, errors, log) = try ShutdownTests.launchWithLog(["--config", configFile])
        defer { if process.isRunning { process.terminate() } }
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
        defer { watchdog.cancel() }
        let match = try #require(log.firstMatch(of: /TLS on 127\.0\.0\.1:(\d+)/), "\(log)")
        let port = try #require(Int(match.1))
        #expect(try Self.servedSubject(port).contains("CN = sluice-before-reload"))

        let held = try HeldConnection(port: port)
        #expect(held.get("/v2/health/live", expect: "{\"live\":true}"))

        // New files in place, then SIGHUP.
        try certs.makeServerCertificate(commonName: "sluice-after-reload", cert: certs.serverCert, key: certs.serverKey)
        kill(process.processIdentifier, SIGHUP)
        var seen = log
        #expect(Self.waitForLog(errors, "TLS certificate reloaded", seen: &seen), "\(seen)")
        #expect(try Self.servedSubject(port).contains("CN = sluice-after-reload"))
        #expect(held.get("/v2/health/ready", expect: "{\"ready\":true}"), "the connection made before the reload broke")

        // A broken certificate: the error is logged, the last good one stays.
        try Data("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n".utf8).write(to: URL(fileURLWithPath: certs.serverCert))
        kill(process.processIdentifier, SIGHUP)
        #expect(Self.waitForLog(errors, "TLS reload failed", seen: &seen), "\(seen)")
        #expect(seen.contains(certs.serverCert))
        #expect(try Self.servedSubject(port).contains("CN = sluice-after-reload"))
        #expect(held.get("/v2/health/live", expect: "{\"live\":true}"))
        #expect(process.isRunning)
    }
}
