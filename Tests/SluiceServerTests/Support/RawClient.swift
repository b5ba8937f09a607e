import Foundation
import Glibc

/// A blocking loopback HTTP/1.1 client for end-to-end tests: sends whatever bytes a test wants
/// (broken ones included) and reads answers framed by Content-Length. Every read has a timeout,
/// so a server that never answers fails the test instead of hanging it.
final class RawClient {
    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) as? [String: Any] }
        var error: String? { json?["error"] as? String }
    }

    enum Failure: Error { case connect(Int32), closed, timeout, malformed(String) }

    let fd: Int32
    private var buffer: [UInt8] = []

    /// The descriptor is stored only once connected: a class whose initializer throws after
    /// storing every property is deinitialized, and a second `close` of a number another
    /// thread has meanwhile reused would cut a connection of a test running beside this one.
    init(port: Int, timeoutSeconds: Int = 10) throws {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socketFD >= 0 else { throw Failure.connect(errno) }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            let e = errno
            close(socketFD)
            throw Failure.connect(e)
        }
        fd = socketFD
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Sends a well-formed request and reads its answer.
    func request(_ method: String, _ path: String, body: [UInt8]? = nil, headers: [String: String] = [:]) throws -> Answer {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        send(Array((head + "\r\n").utf8) + (body ?? []))
        return try readAnswer(bodyless: method == "HEAD")
    }

    func request(_ method: String, _ path: String, json: String, headers: [String: String] = [:]) throws -> Answer {
        var h = headers
        h["Content-Type"] = "application/json"
        return try request(method, path, body: Array(json.utf8), headers: h)
    }

    /// Reads one answer.
    func readAnswer(bodyless: Bool = false) throws -> Answer {
        let headEnd = try readUntilHeadEnd()
        let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure.malformed(head) }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw Failure.malformed(line) }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = bodyless || status == 100 ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count < length { try fill() }
        let body = Array(buffer[0..<length])
        buffer.removeFirst(length)
        return Answer(status: status, headers: headers, body: body)
    }

    /// True when the server closed the connection (read returns 0) within the timeout.
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        while true {
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    /// True when the server resets the connection (TCP RST) within `milliseconds`, judged
    /// without reading: a read would take bytes the test means to leave unread. A plain close
    /// does not count, as its FIN waits behind the unread bytes.
    func isReset(withinMilliseconds milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: 0, revents: 0)  // POLLERR and POLLHUP are always reported
        while true {
            let n = poll(&entry, 1, milliseconds)
            if n < 0 && errno == EINTR { continue }
            return n > 0 && entry.revents & Int16(POLLERR | POLLHUP) != 0
        }
    }

    private func readUntilHeadEnd() throws -> Int {
        while true {
            if buffer.count >= 4 {
                for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                    return i
                }
            }
            try fill()
        }
    }

    /// A read interrupted by a signal handler is retried (with a receive timeout on the socket,
    /// Linux fails it with EINTR even under SA_RESTART).
    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        var n = read(fd, &chunk, chunk.count)
        while n < 0 && errno == EINTR { n = read(fd, &chunk, chunk.count) }
        if n == 0 { throw Failure.closed }
        if n < 0 { throw errno == EAGAIN ? Failure.timeout : Failure.closed }
        buffer += chunk[0..<n]
    }
}
