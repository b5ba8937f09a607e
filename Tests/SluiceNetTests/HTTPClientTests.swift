import Foundation
import Glibc
import Testing
@testable import SluiceNet

/// A one-connection HTTP server on 127.0.0.1 for the client's tests: accepts once, reads the
/// request head, hands it and the socket to `answer`, then closes. Blocking sockets on its own
/// thread; nothing sleeps.
private final class CannedServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var head = ""

    init(_ answer: @escaping @Sendable (_ fd: Int32) -> Void) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && Glibc.listen(listener, 4) == 0)
        port = try Socket.localPort(listener)
        let done = done
        Thread { [self] in
            let fd = accept(listener, nil, nil)
            if fd >= 0 {
                var bytes: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 4096)
                while !bytes.ends(with: Array("\r\n\r\n".utf8)) {
                    let n = read(fd, &chunk, chunk.count)
                    if n <= 0 { break }
                    bytes += chunk[..<n]
                }
                lock.withLock { head = String(decoding: bytes, as: UTF8.self) }
                answer(fd)
                close(fd)
            }
            done.signal()
        }.start()
    }

    deinit { close(listener) }

    /// The request head the server read (after the exchange).
    var request: String {
        done.wait()
        done.signal()
        return lock.withLock { head }
    }

    /// Writes `text` to `fd`.
    static func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until the client closes (an answer that never comes).
    static func waitForClose(_ fd: Int32) {
        var chunk = [UInt8](repeating: 0, count: 256)
        while read(fd, &chunk, chunk.count) > 0 {}
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}

@Suite struct HTTPClientTests {
    @Test func aContentLengthAnswerIsReadAndTheRequestIsAPlainGet() throws {
        let server = try CannedServer { fd in
            CannedServer.send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n")
            CannedServer.send(fd, "{\"a\":\"b\"}\n")
        }
        let answer = try HTTPClient.get(host: "127.0.0.1", port: server.port, target: "/api/v1/query?query=up&time=1", timeout: 5)
        #expect(answer.status == 200)
        #expect(answer.header("content-type") == "application/json")
        #expect(String(decoding: answer.body, as: UTF8.self) == "{\"a\":\"b\"}\n")
        let request = server.request
        #expect(request.hasPrefix("GET /api/v1/query?query=up&time=1 HTTP/1.1\r\n"), "\(request)")
        #expect(request.contains("\r\nHost: 127.0.0.1:\(server.port)\r\n"))
        #expect(request.contains("\r\nConnection: close\r\n"))
    }

    @Test func aChunkedAnswerIsJoinedAcrossWritesWithExtensionsAndTrailers() throws {
        let server = try CannedServer { fd in
            CannedServer.send(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhel")
            CannedServer.send(fd, "lo\r\n7\r\n, world\r\n0\r\nX-Trailer: yes\r\n\r\n")
        }
        let answer = try HTTPClient.get(host: "127.0.0.1", port: server.port, target: "/", timeout: 5)
        #expect(String(decoding: answer.body, as: UTF8.self) == "hello, world")
    }

    @Test func anAnswerWithoutALengthEndsWhenTheConnectionClosesAndInformationalHeadsAreSkipped() throws {
        let server = try CannedServer { fd in
            CannedServer.send(fd, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 503 Service Unavailable\r\n\r\nbusy")
        }
        let answer = try HTTPClient.get(host: "localhost", port: server.port, target: "/", timeout: 5)
        #expect(answer.status == 503)
        #expect(String(decoding: answer.body, as: UTF8.self) == "busy")
    }

    @Test(arguments: [
        ("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", "larger than 64 bytes"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n", "larger than 64 bytes"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "closed before the end of the body"),
        ("SSH-2.0-OpenSSH_9.6\r\n\r\n", "malformed answer: status line"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", "malformed answer: content-length"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed answer: chunk size"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", "malformed answer: chunk size"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n", "malformed answer: chunk size"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "is not chunked"),
    ])
    func aBrokenOrOversizedAnswerIsAnError(_ answer: String, _ message: String) throws {
        let server = try CannedServer { fd in CannedServer.send(fd, answer) }
        #expect {
            try HTTPClient.get(host: "127.0.0.1", port: server.port, target: "/", timeout: 5, maxBody: 64)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func aServerThatNeverAnswersTimesOut() throws {
        let server = try CannedServer { fd in CannedServer.waitForClose(fd) }
        #expect {
            try HTTPClient.get(host: "127.0.0.1", port: server.port, target: "/", timeout: 0.05)
        } throws: { error in
            guard case HTTPClientError.timedOut(let phase) = error else { return false }
            return phase == "reading the status line"
        }
    }

    @Test func aClosedPortIsAConnectErrorAndAnUnknownNameAResolveError() throws {
        // Bound but not listening: connecting is refused, and no other test can take the port meanwhile.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let port = try Socket.localPort(fd)
        #expect {
            try HTTPClient.get(host: "127.0.0.1", port: port, target: "/", timeout: 5)
        } throws: { error in
            guard case HTTPClientError.connect(let cause) = error else { return false }
            return cause.errno == ECONNREFUSED
        }
        #expect {
            try HTTPClient.get(host: "no-such-host.invalid", port: 80, target: "/", timeout: 5)
        } throws: { error in
            guard case HTTPClientError.resolve = error else { return false }
            return true
        }
    }
}
