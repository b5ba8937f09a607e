import Foundation
import SluiceCore
import SluiceHTTP
import Synchronization
import Testing
@testable import SluiceServer

/// The TLS listener with real clients: curl and `openssl s_client` against a server on
/// 127.0.0.1 with certificates the openssl command line made for the test.
@Suite struct TLSTests {
    /// The 1-row request the benchmarks send.
    static let inferFile = TestServer.bundledModels + "/../bench/infer-1row.json"

    /// A server with a TLS listener on a kernel-chosen port.
    static func server(_ certs: TestCertificates, clientCA: String? = nil, configure: (inout ServerConfig) -> Void = { _ in }) throws -> TestServer {
        try TestServer { config in
            config.tls = .init(port: 0, cert: certs.serverCert, key: certs.serverKey, clientCA: clientCA)
            configure(&config)
        }
    }

    static func curl(_ port: Int, _ path: String, _ extra: [String] = []) throws -> Tool.Output {
        try Tool.run("curl", ["-sS", "--http1.1", "-k", "--max-time", "10"] + extra + ["https://127.0.0.1:\(port)\(path)"])
    }

    @Test func curlInfersOverTLSWithTheSameAnswerAsCleartext() throws {
        let certs = try TestCertificates()
        let server = try Self.server(certs)
        let tlsPort = server.server.tlsPort
        #expect(tlsPort != 0 && tlsPort != server.port)
        let body = Array(try Data(contentsOf: URL(fileURLWithPath: Self.inferFile)))
        let clear = try server.client().request("POST", "/v2/models/fraud/infer", body: body, headers: ["Content-Type": "application/json"])
        #expect(clear.status == 200)
        let out = try Self.curl(tlsPort, "/v2/models/fraud/infer",
                                ["-H", "Content-Type: application/json", "--data-binary", "@\(Self.inferFile)", "-w", "\n%{http_code}"])
        #expect(out.status == 0, "\(out.stderr)")
        let lines = out.text.split(separator: "\n")
        #expect(lines.last == "200")
        #expect(lines.first.map(String.init) == clear.text)
        // Keep-alive over TLS: several requests on one connection.
        let twice = try Self.curl(tlsPort, "/v2/health/live", ["-w", " %{num_connects}\n", "https://127.0.0.1:\(tlsPort)/v2/health/ready"])
        #expect(twice.text == "{\"ready\":true} 1\n{\"live\":true} 0\n", "\(twice.all)")
    }

    @Test func manyLargePipelinedRequestsCrossTLSIntact() throws {
        let certs = try TestCertificates()
        // Compression off: the answers go out as they are, in many TLS records.
        let server = try Self.server(certs) { $0.compression.enabled = false }
        let body = CompressionTests.rowsBody(256)
        let clear = try server.client().request("POST", "/v2/models/fraud/infer", body: body, headers: ["Content-Type": "application/json"])
        #expect(clear.status == 200, "\(clear.text)")
        // 20 requests of ~100 KB written at once (2 MB in), the last one closing the connection.
        var requests: [UInt8] = []
        for i in 1...20 {
            let close = i == 20 ? "Connection: close\r\n" : ""
            requests += Array("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\(close)Content-Length: \(body.count)\r\n\r\n".utf8) + body
        }
        let out = try Tool.run("openssl", ["s_client", "-quiet", "-ign_eof", "-connect", "127.0.0.1:\(server.server.tlsPort)"], input: Data(requests))
        #expect(out.text.components(separatedBy: "HTTP/1.1 200 OK\r\n").count - 1 == 20, "\(out.stderr)")
        #expect(out.text.components(separatedBy: clear.text).count - 1 == 20)
    }

    @Test func sClientNegotiatesTLS13AndHTTP11ThroughALPN() throws {
        let certs = try TestCertificates()
        let server = try Self.server(certs)
        let out = try Tool.run("openssl", ["s_client", "-connect", "127.0.0.1:\(server.server.tlsPort)", "-alpn", "http/1.1", "-ign_eof"],
                               input: Data("GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        #expect(out.all.contains("New, TLSv1.3,"), "\(out.all)")
        #expect(out.all.contains("ALPN protocol: http/1.1"), "\(out.all)")
        #expect(out.text.contains("HTTP/1.1 200 OK"), "\(out.all)")
    }

    @Test func alpnPrefersH2WhenTheClientOffersItAndHTTP2IsOn() throws {
        let certs = try TestCertificates()
        let on = try Self.server(certs)
        let offered = try Tool.run("openssl", ["s_client", "-connect", "127.0.0.1:\(on.server.tlsPort)", "-alpn", "h2,http/1.1"])
        #expect(offered.all.contains("ALPN protocol: h2"), "\(offered.all)")
        let off = try Self.server(certs) { $0.http2.enabled = false }
        let refused = try Tool.run("openssl", ["s_client", "-connect", "127.0.0.1:\(off.server.tlsPort)", "-alpn", "h2,http/1.1"])
        #expect(refused.all.contains("ALPN protocol: http/1.1"), "\(refused.all)")
    }

    @Test func aTLS11OnlyClientIsRefusedAndTheServerKeepsServing() throws {
        let certs = try TestCertificates()
        let server = try Self.server(certs)
        let port = server.server.tlsPort
        // SECLEVEL=0 lets this client offer TLS 1.1 at all; the refusal must come from the server.
        let out = try Tool.run("openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
        #expect(out.status != 0)
        #expect(out.all.contains("protocol version"), "\(out.all)")
        #expect(try Self.curl(port, "/v2/health/live").text.contains("\"live\":true"))
        #expect(server.server.httpStats.tlsHandshakeFailures.load(ordering: .relaxed) >= 1)
    }

    @Test func withAClientCAOnlyClientsWithACertificateItSignedAreServed() throws {
        let certs = try TestCertificates()
        try certs.makeClientCertificates()
        let server = try Self.server(certs, clientCA: certs.caCert)
        let port = server.server.tlsPort
        let without = try Self.curl(port, "/v2/health/live")
        #expect(without.status != 0, "served without a client certificate: \(without.all)")
        #expect(!without.text.contains("live"))
        let with = try Self.curl(port, "/v2/health/live", ["--cert", certs.clientCert, "--key", certs.clientKey])
        #expect(with.status == 0, "\(with.all)")
        #expect(with.text.contains("\"live\":true"))
        // A certificate from another issuer (the server's own, self-signed) is refused too.
        let stranger = try Self.curl(port, "/v2/health/live", ["--cert", certs.serverCert, "--key", certs.serverKey])
        #expect(stranger.status != 0, "\(stranger.all)")
    }

    @Test func aHandshakeThatNeverFinishesIsClosedAfterTheHeaderTimeout() throws {
        let certs = try TestCertificates()
        let server = try Self.server(certs) { $0.limits.headerTimeout = 500_000_000 }
        let silent = try RawClient(port: server.server.tlsPort)
        // Half a ClientHello record header, then nothing.
        silent.send([0x16, 0x03, 0x01])
        #expect(silent.isClosedByPeer())
        #expect(try Self.curl(server.server.tlsPort, "/v2/health/live").text.contains("\"live\":true"))
        #expect(server.server.httpStats.tlsHandshakesInProgress.load(ordering: .relaxed) == 0)
    }

    @Test func garbageInsteadOfAClientHelloClosesThatConnectionOnly() throws {
        let certs = try TestCertificates()
        let server = try Self.server(certs)
        let port = server.server.tlsPort
        let idle = try RawClient(port: port)
        for _ in 0..<3 {
            let garbage = try RawClient(port: port)
            garbage.send("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(garbage.isClosedByPeer())
        }
        #expect(try Self.curl(port, "/v2/health/live").text.contains("\"live\":true"))
        #expect(try server.client().request("GET", "/v2/health/live").status == 200)
        #expect(server.server.httpStats.tlsHandshakeFailures.load(ordering: .relaxed) >= 3)
        withExtendedLifetime(idle) {}
    }

    @Test func metricsCountTLSConnectionsApart() throws {
        let certs = try TestCertificates()
        let server = try Self.server(certs)
        #expect(try Self.curl(server.server.tlsPort, "/v2/health/live").status == 0)
        let text = try Self.curl(server.server.tlsPort, "/metrics").text
        // The scrape itself is one open TLS connection.
        #expect(text.contains("sluice_connections_open{protocol=\"http1-tls\"} 1\n"), "\(text)")
        #expect(text.contains("sluice_connections_open{protocol=\"tls-handshake\"} 0\n"))
        #expect(text.contains("sluice_tls_handshake_failures_total 0\n"))
    }

    @Test func tlsSettingsThatCannotWorkAreConfigErrorsNamingTheFileAndKey() throws {
        let certs = try TestCertificates()
        let otherKey = "\(certs.dir)/other.key", otherCert = "\(certs.dir)/other.crt"
        try certs.makeServerCertificate(commonName: "other", cert: otherCert, key: otherKey)
        var config = ServerConfig()
        config.host = "127.0.0.1"
        config.port = 0
        config.models = TestServer.bundledModels
        config.tls = .init(port: 0, cert: certs.serverCert, key: otherKey)
        #expect {
            _ = try Server(config: config)
        } throws: { error in
            let text = "\(error)"
            return error is ConfigError && text.hasPrefix(otherKey) && text.contains("tls.key") && text.contains("does not match")
        }
        config.tls = .init(port: 0, cert: "\(certs.dir)/missing.crt", key: certs.serverKey)
        #expect {
            _ = try Server(config: config)
        } throws: { error in
            "\(error)".hasPrefix("\(certs.dir)/missing.crt: tls.cert: cannot read")
        }
        let shared = try MetricsTests.freePort()
        config.port = shared
        config.tls = .init(port: shared, cert: certs.serverCert, key: certs.serverKey)
        #expect {
            _ = try Server(config: config)
        } throws: { error in
            "\(error)".hasPrefix("configuration: tls.port: must differ from port (both are \(shared))")
        }
        config.port = 0
        try Data("not a certificate".utf8).write(to: URL(fileURLWithPath: otherCert))
        config.tls = .init(port: 0, cert: otherCert, key: certs.serverKey)
        #expect {
            _ = try Server(config: config)
        } throws: { error in
            "\(error)".hasPrefix("\(otherCert): tls.cert: not a usable PEM certificate")
        }
    }
}
