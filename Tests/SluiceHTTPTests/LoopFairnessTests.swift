import Dispatch
import Glibc
import SluiceNet
import Synchronization
import Testing
@testable import SluiceHTTP

/// Answers every request at once and notes the order; a request for `/block` first holds the
/// loop until `release` is signalled, so that a test can line bytes up on several connections
/// and have one wake-up of the loop find them all.
private final class OrderRecorder: Responder {
    let order = Mutex<[String]>([])
    let blocking = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)

    func respond(to request: Request, writer: ResponseWriter) {
        if request.target == "/block" {
            blocking.signal()
            release.wait()
        }
        order.withLock { $0.append(request.target) }
        writer.send(Response(status: 200, body: Array("ok".utf8)))
    }
}

/// A blocking loopback client that counts the answers it reads.
private final class Client {
    let fd: Int32
    private var received: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(rc == 0)
    }

    deinit { close(fd) }

    func send(_ text: String, times: Int = 1) {
        let bytes = Array(String(repeating: text, count: times).utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 && errno != EINTR { return }
            offset += max(n, 0)
        }
    }

    /// Reads until `count` more answers (each ends in the body "ok") have come; false on a
    /// timeout or a close.
    func readAnswers(_ count: Int) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var answers = 0
        while true {
            // An answer ends where its head ends and "ok" follows.
            while let end = received.firstRange(of: Self.answerEnd) {
                received.removeSubrange(..<end.upperBound)
                answers += 1
                if answers == count { return true }
            }
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 && errno != EINTR { return false }
            received += buffer[0..<max(n, 0)]
        }
    }

    private static let answerEnd = Array("\r\n\r\nok".utf8)
}

private func get(_ target: String) -> String { "GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n" }

/// A connection's turn on its loop is bounded (issue #14, defect 1): requests already read and
/// waiting in its buffer do not keep the loop from the others.
@Test func requestsPipelinedOnOneConnectionWaitWhileAnotherConnectionOfTheLoopIsAnswered() throws {
    var configuration = HTTPServer.Configuration()
    configuration.host = "127.0.0.1"
    configuration.port = 0
    configuration.threads = 1
    let recorder = OrderRecorder()
    let server = try HTTPServer(configuration: configuration, responder: recorder)
    try server.start()
    defer { server.stop() }

    let burst = try Client(port: server.port)
    let single = try Client(port: server.port)
    let blocker = try Client(port: server.port)
    // Both accepted and idle before the loop is held.
    burst.send(get("/warm"))
    single.send(get("/warm"))
    #expect(burst.readAnswers(1) && single.readAnswers(1))

    blocker.send(get("/block"))
    #expect(recorder.blocking.wait(timeout: .now() + 10) == .success)
    // While the loop is held: 2,000 pipelined requests on one connection (56 KB, one read),
    // then one request on another. The next wake-up finds both.
    let count = 2_000
    burst.send(get("/a"), times: count)
    single.send(get("/b"))
    recorder.release.signal()
    #expect(blocker.readAnswers(1))
    #expect(single.readAnswers(1))
    #expect(burst.readAnswers(count))

    let order = recorder.order.withLock { $0 }.filter { $0 == "/a" || $0 == "/b" }
    #expect(order.count == count + 1)
    // One turn of the burst before the single request is answered (none, had epoll listed
    // the single one first); before the budget, all 2,000 were.
    let position = try #require(order.firstIndex(of: "/b"))
    #expect(position <= HTTPConnection.requestsPerIteration, "the single request waited for \(position) of the burst")
}
