import CLinux
import Glibc

/// Socket set-up helpers. Called at start-up (listeners) and on accept; never blocks.
package enum Socket {
    /// Creates a non-blocking TCP listener on `host:port` with `SO_REUSEADDR` and, so that every
    /// event loop can own a listener of its own on the same port, `SO_REUSEPORT`.
    /// Returns the descriptor and the bound port (the kernel's choice when `port` is 0).
    package static func listen(host: String, port: Int, backlog: Int32 = 1024) throws(SocketError) -> (fd: Int32, port: Int) {
        try bound(host: host, port: port, sharingPort: true) { (fd) throws(SocketError) in
            _ = try syscallNonBlocking("listen") { Glibc.listen(fd, backlog) }
            return (fd, try localPort(fd))
        }
    }

    /// Throws `EADDRINUSE` when another socket, in this process or any other, already listens on
    /// `host:port`. `SO_REUSEPORT` lets every listener of the same user share a port, so a second
    /// `sluice` started on a port the first still serves would otherwise bind quietly and take
    /// half of its connections. Binds once without `SO_REUSEPORT` (which no listener can share)
    /// and closes again; call before the listeners bind.
    package static func checkPortIsFree(host: String, port: Int) throws(SocketError) {
        let fd = try bound(host: host, port: port, sharingPort: false) { (fd) throws(SocketError) in fd }
        close(fd)
    }

    /// A TCP socket bound to `host:port` with `SO_REUSEADDR` (and `SO_REUSEPORT` when
    /// `sharingPort`), handed to `body`; closed if `body` throws, the caller's otherwise.
    private static func bound<R>(
        host: String, port: Int, sharingPort: Bool, _ body: (Int32) throws(SocketError) -> R
    ) throws(SocketError) -> R {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let info = list else {
            throw SocketError(call: "getaddrinfo(\(host))", errno: rc == EAI_SYSTEM ? errno : EINVAL)
        }
        defer { freeaddrinfo(list) }
        let fd = try syscallNonBlocking("socket") {
            socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if sharingPort { try setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1) }
            _ = try syscallNonBlocking("bind(\(host):\(port))") { bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) }
            return try body(fd)
        } catch {
            close(fd)
            throw error
        }
    }

    /// The local port a socket is bound to.
    package static func localPort(_ fd: Int32) throws(SocketError) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { (p) throws(SocketError) -> Int32 in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (sa) throws(SocketError) -> Int32 in
                try syscallNonBlocking("getsockname") { getsockname(fd, sa, &length) }
            }
        }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        default:
            throw SocketError(call: "getsockname", errno: EAFNOSUPPORT)
        }
    }

    /// Accepts one connection as a non-blocking, close-on-exec socket with `TCP_NODELAY`
    /// (responses are written whole, so Nagle only adds latency).
    package static func accept(_ listener: Int32) throws(SocketError) -> Int32? {
        switch try syscall("accept4", { CLinux.accept4(listener, nil, nil, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)) }) {
        case .wouldBlock:
            return nil
        case .done(let fd):
            try? setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            return fd
        }
    }

    package static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(SocketError) {
        var v = value
        _ = try syscallNonBlocking("setsockopt") {
            setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
        }
    }
}
