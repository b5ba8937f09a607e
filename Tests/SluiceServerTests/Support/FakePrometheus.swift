import Foundation
import Glibc
import SluiceNet
import Synchronization

/// A stand-in for Prometheus' HTTP API on 127.0.0.1 for the fleet canary's tests: accepts
/// connections on its own thread, reads each request's head, and writes what `answer` returns
/// for its path and decoded query parameters, then closes (the client asks `Connection: close`).
/// Every request is recorded. Blocking sockets; nothing sleeps.
final class FakePrometheus: Sendable {
    struct Asked: Sendable {
        var path: String
        var parameters: [String: String]
    }

    /// What to write back: the raw bytes of a whole answer, or nil to say nothing until the
    /// client gives up.
    typealias Answer = @Sendable (Asked) -> String?

    let port: Int
    private let listener: Int32
    private let log = Log()

    final class Log: Sendable {
        let asked = Mutex<[Asked]>([])
    }

    /// The requests so far.
    var asked: [Asked] { log.asked.withLock { $0 } }

    init(_ answer: @escaping Answer) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else {
            close(fd)
            throw SocketError(call: "bind", errno: errno)
        }
        listener = fd
        port = try Socket.localPort(fd)
        let log = log
        Thread {
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { break }
                Self.serve(client, answer, log)
            }
            // Closed here, once accept has failed, so the number is not reused under it.
            close(fd)
        }.start()
    }

    /// Stops accepting: accept fails on the shut-down listener and the thread ends.
    deinit { shutdown(listener, Int32(SHUT_RDWR)) }

    private static func serve(_ fd: Int32, _ answer: Answer, _ log: Log) {
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: bytes, as: UTF8.self).contains("\r\n\r\n") {
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { return }
            bytes += chunk[..<n]
        }
        let line = String(decoding: bytes, as: UTF8.self).split(separator: "\r\n").first ?? ""
        let target = line.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        let parts = target.split(separator: "?", maxSplits: 1)
        var parameters: [String: String] = [:]
        for pair in (parts.count > 1 ? parts[1] : "").split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            parameters[String(kv[0])] = kv.count > 1 ? String(kv[1]).removingPercentEncoding : ""
        }
        let asked = Asked(path: String(parts.first ?? "/"), parameters: parameters)
        log.asked.withLock { $0.append(asked) }
        guard let text = answer(asked) else {
            // Say nothing: read until the client times out and closes.
            while read(fd, &chunk, chunk.count) > 0 {}
            return
        }
        let out = Array(text.utf8)
        _ = out.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// A 200 answer with `body` and its length.
    static func ok(_ body: String) -> String {
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// An instant vector with one sample of `value` (a Prometheus value string), or none.
    static func vector(_ value: String?) -> String {
        let result = value.map { #"[{"metric":{},"value":[1,"\#($0)"]}]"# } ?? "[]"
        return #"{"status":"success","data":{"resultType":"vector","result":\#(result)}}"#
    }

    /// Answers each of the four canary queries with its value (`nil`: an empty vector).
    static func figures(requests: String?, errors: String?, candidateP99: String?, baselineP99: String?) -> Answer {
        { asked in
            let query = asked.parameters["query"] ?? ""
            let value = if query.contains("code!~") { errors }
                else if query.hasPrefix("sum(increase(sluice_requests_total") { requests }
                else if query.contains("version!=") { baselineP99 }
                else { candidateP99 }
            return ok(vector(value))
        }
    }
}

/// A loopback port bound but not listening, for as long as it lives: connecting is refused, and
/// no other test can take the port meanwhile (nothing listens on it with SO_REUSEPORT).
final class RefusingPort {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        self.fd = fd
        do {
            port = try Socket.localPort(fd)
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }
}
