import CLinux
import Glibc

/// A small blocking HTTP/1.1 client on Sluice's own sockets, for the few outbound requests the
/// server makes (a fleet canary's Prometheus queries): one `GET` per connection
/// (`Connection: close`), a connect timeout, a deadline on the answer, and a bounded body.
///
/// Called by a thread that may block (the canary driver), never by an event loop. Host names are
/// resolved with `getaddrinfo` (in-cluster DNS names work; the resolver's own timeout applies).
/// Answers with a `Content-Length`, chunked answers and answers that end when the connection
/// closes are read; `1xx` heads are skipped. Every failure is an `HTTPClientError`.
package enum HTTPClient {
    /// One answer: status, header fields (names lower-cased, in order) and the whole body.
    package struct Response: Sendable {
        package var status: Int
        package var headers: [(name: String, value: String)]
        package var body: [UInt8]

        /// The first field named `name` (lower case).
        package func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
    }

    /// Largest head (status line and fields) read.
    static let maxHeadBytes = 64 << 10

    /// `GET target` (origin form: `/path?query`) from `host:port`. `timeout` bounds the connect
    /// (all addresses together) and then, separately, the whole answer; `maxBody` bounds the
    /// body. Blocks the calling thread.
    package static func get(
        host: String, port: Int, target: String, timeout: Double, maxBody: Int = 8 << 20
    ) throws(HTTPClientError) -> Response {
        let connectDeadline = deadline(after: timeout)
        let fd = try connect(host: host, port: port, deadline: connectDeadline)
        defer { close(fd) }
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let head = "GET \(target) HTTP/1.1\r\nHost: \(authority)\r\nAccept: application/json\r\nUser-Agent: sluice\r\nConnection: close\r\n\r\n"
        var reader = Reader(fd: fd, deadline: deadline(after: timeout))
        try reader.send(Array(head.utf8))
        return try reader.response(maxBody: maxBody)
    }

    static func deadline(after seconds: Double) -> UInt64 {
        let nanos = seconds.isFinite ? min(max(seconds, 0), 86_400) * 1e9 : 86_400e9
        return MonotonicClock.now() &+ UInt64(nanos)
    }

    /// Milliseconds left until `deadline` for `poll`, or nil once it has passed.
    static func millisecondsLeft(_ deadline: UInt64) -> Int32? {
        let now = MonotonicClock.now()
        guard now < deadline else { return nil }
        return Int32(min((deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
    }

    /// Waits until `fd` is ready for `events` or `deadline` passes (false).
    static func wait(_ fd: Int32, for events: Int16, until deadline: UInt64) throws(HTTPClientError) -> Bool {
        while true {
            guard let ms = millisecondsLeft(deadline) else { return false }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let ready: IOResult<Int32>
            do { ready = try syscall("poll") { poll(&p, 1, ms) } } catch { throw .io(error) }
            if case .done(let n) = ready, n > 0 { return true }
        }
    }

    /// A connected non-blocking socket to the first address of `host` that accepts in time.
    static func connect(host: String, port: Int, deadline: UInt64) throws(HTTPClientError) -> Int32 {
        guard (1...65535).contains(port) else { throw .resolve(host: host, reason: "port \(port) is out of range") }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, list != nil else {
            throw .resolve(host: host, reason: rc == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(list) }
        var last: HTTPClientError = .resolve(host: host, reason: "no address")
        var next = list
        while let info = next {
            next = info.pointee.ai_next
            let fd: Int32
            do {
                fd = try syscallNonBlocking("socket") {
                    socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                }
            } catch {
                last = .connect(error)
                continue
            }
            do throws(HTTPClientError) {
                try connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen, deadline: deadline)
                try? Socket.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
                return fd
            } catch {
                close(fd)
                last = error
                if case .timedOut = error { break }
            }
        }
        throw last
    }

    private static func connect(
        _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t, deadline: UInt64
    ) throws(HTTPClientError) {
        while Glibc.connect(fd, address, length) != 0 {
            let err = errno
            if err == EINTR { continue }
            guard err == EINPROGRESS else { throw .connect(SocketError(call: "connect", errno: err)) }
            guard try wait(fd, for: Int16(POLLOUT), until: deadline) else { throw .timedOut("connecting") }
            var soError: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &size) == 0 else {
                throw .connect(SocketError(call: "getsockopt", errno: errno))
            }
            guard soError == 0 else { throw .connect(SocketError(call: "connect", errno: soError)) }
            return
        }
    }
}

/// Why an outbound request failed.
package enum HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// The name did not resolve (or the port is invalid).
    case resolve(host: String, reason: String)
    /// No address accepted the connection (refused, unreachable…).
    case connect(SocketError)
    /// The connect or the answer did not finish in time; says which.
    case timedOut(String)
    /// Reading or writing failed (reset…).
    case io(SocketError)
    /// The peer closed before the answer was complete.
    case truncated(String)
    /// The answer is not HTTP/1.x as this client reads it.
    case malformed(String)
    /// The body (or the head) is larger than allowed.
    case tooLarge(limit: Int)

    package var description: String {
        switch self {
        case .resolve(let host, let reason): "cannot resolve \(host): \(reason)"
        case .connect(let error): "cannot connect: \(error)"
        case .timedOut(let phase): "timed out \(phase)"
        case .io(let error): "\(error)"
        case .truncated(let what): "the connection closed before the end of \(what)"
        case .malformed(let what): "malformed answer: \(what)"
        case .tooLarge(let limit): "answer larger than \(limit) bytes"
        }
    }
}
