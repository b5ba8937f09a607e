import Foundation
import SluiceHTTP
import Synchronization
import Testing
@testable import SluiceServer

/// Each limit and framing error over a raw socket: the right status and a JSON error, the
/// offending connection closed, and the server still serving everyone else.
@Suite struct HTTPLimitsTests {
    let server: TestServer
    init() throws {
        server = try TestServer { config in
            config.limits.maxHeaderBytes = 1024
            config.limits.maxBodyBytes = 4096
            config.limits.headerTimeout = 500_000_000
            config.limits.bodyTimeout = 500_000_000
            config.limits.idleTimeout = 500_000_000
        }
    }

    private func expectRefused(_ bytes: String, _ status: Int, _ what: String) throws {
        let bystander = try server.client()
        #expect(try bystander.request("GET", "/v2/health/live").status == 200)
        let c = try server.client()
        c.send(bytes)
        let a = try c.readAnswer()
        #expect(a.status == status, "\(what): \(a.status) \(a.text)")
        #expect(a.error?.isEmpty == false, "\(what)")
        #expect(a.headers["connection"] == "close", "\(what)")
        #expect(c.isClosedByPeer(), "\(what)")
        // Another connection, opened before, is unaffected.
        #expect(try bystander.request("GET", "/v2/health/live").status == 200, "\(what)")
    }

    @Test(arguments: [
        ("GARBAGE\r\n\r\n", 400, "malformed request line"),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "CL and TE"),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400, "conflicting CL"),
        ("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", 400, "bad chunk size"),
        ("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n", 400, "chunk overrun"),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 2000))\r\n\r\n", 431, "oversized headers"),
        ("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n\r\n", 413, "announced oversized body"),
        ("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n\(String(repeating: "a", count: 4096))\r\n1\r\na\r\n", 413, "chunked oversized body"),
        ("GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505, "unsupported version"),
        ("GET /v2/health/live HTTP/1.1\nHost: x\n\n", 400, "bare LF line ends"),
        ("GET /v2/health/live HTTP/1.1\r\nHost: xyz\n\n", 400, "bare LF ending the head"),
        ("POST /v2/models/fraud/infer HTTP/1.1\nHost: x\nContent-Length: 2\n\n{}", 400, "bare LF head with a body"),
    ])
    func framingErrorsAnswerAndCloseOnlyThatConnection(_ bytes: String, _ status: Int, _ what: String) throws {
        try expectRefused(bytes, status, what)
    }

    @Test func aClientTooSlowWithItsHeadersGets408() throws {
        let c = try server.client()
        c.send("GET /v2/health/live HTTP/1.1\r\nHo")
        let a = try c.readAnswer()
        #expect(a.status == 408)
        #expect(a.error != nil)
        #expect(c.isClosedByPeer())
    }

    @Test func aClientTooSlowWithItsBodyGets408() throws {
        let c = try server.client()
        c.send("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        let a = try c.readAnswer()
        #expect(a.status == 408)
        #expect(c.isClosedByPeer())
    }

    @Test func anIdleKeepAliveConnectionIsClosedQuietly() throws {
        let c = try server.client()
        #expect(try c.request("GET", "/v2/health/live").status == 200)
        #expect(c.isClosedByPeer())
    }

    @Test func anHTTP10ClientThatAskedForKeepAliveIsToldItIsKept() throws {
        // HTTP/1.0 closes unless both sides say keep-alive (RFC 9112 §9.3): a client that
        // does not read it in the answer closes, or waits for a close that never comes.
        let c = try server.client()
        for _ in 0..<2 {
            c.send("GET /v2/health/live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let a = try c.readAnswer()
            #expect(a.status == 200)
            #expect(a.headers["connection"] == "keep-alive")
        }
        c.send("GET /v2/health/live HTTP/1.0\r\n\r\n")
        #expect(try c.readAnswer().headers["connection"] == "close")
        #expect(c.isClosedByPeer())
        // HTTP/1.1 keeps alive by default and says nothing.
        #expect(try server.client().request("GET", "/v2/health/live").headers["connection"] == nil)
    }

    @Test func manyRequestsShareOneConnection() throws {
        let c = try server.client()
        for _ in 0..<200 { #expect(try c.request("GET", "/v2/health/live").status == 200) }
    }
}

@Test func connectionsBeyondMaxConnectionsAreClosedAndTheOthersServe() throws {
    let server = try TestServer { $0.limits.maxConnections = 2; $0.threads = 1 }
    let a = try server.client(), b = try server.client()
    #expect(try a.request("GET", "/v2/health/live").status == 200)
    #expect(try b.request("GET", "/v2/health/live").status == 200)
    let c = try server.client()
    #expect(c.isClosedByPeer())
    #expect(try a.request("GET", "/v2/health/live").status == 200)
    #expect(server.server.httpStats.connectionsRejected.load(ordering: .relaxed) == 1)
}

