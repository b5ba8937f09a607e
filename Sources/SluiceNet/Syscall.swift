import Glibc

/// The outcome of a non-blocking call: a value, or "try again when the fd is ready".
package enum IOResult<T: Sendable>: Sendable {
    case done(T)
    case wouldBlock
}

/// The one wrapper every system call in Sluice goes through (after SwiftNIO's): retries `EINTR`,
/// reports `EAGAIN`/`EWOULDBLOCK` as `.wouldBlock`, throws `SocketError` for the rest, and stops
/// the process only for `EBADF`/`EFAULT`, which mean a bug of ours, not of the peer.
@inline(__always)
package func syscall<T: FixedWidthInteger & Sendable>(
    _ name: @autoclosure () -> String, _ body: () -> T
) throws(SocketError) -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .done(result) }
        let err = errno
        switch err {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK: return .wouldBlock
        case EBADF, EFAULT: preconditionFailure("\(name()) on a bad descriptor or address: a Sluice bug (errno \(err))")
        default: throw SocketError(call: name(), errno: err)
        }
    }
}

/// For calls that never legitimately block (socket, bind, epoll_ctl): a would-block is an error.
@inline(__always)
package func syscallNonBlocking<T: FixedWidthInteger & Sendable>(
    _ name: @autoclosure () -> String, _ body: () -> T
) throws(SocketError) -> T {
    switch try syscall(name(), body) {
    case .done(let value): return value
    case .wouldBlock: throw SocketError(call: name(), errno: EAGAIN)
    }
}
