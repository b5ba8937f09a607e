import CLinux
import Glibc

/// Turns process signals into bytes on a pipe that one thread reads (the self-pipe trick).
///
/// Why not Dispatch's signal sources: on Linux they block the signal in one thread and read a
/// signalfd, so a signal the kernel hands to any other thread that does not block it (an
/// OpenBLAS worker started before `main`, an event loop) meets SIG_IGN and is lost — a SIGTERM
/// the server never sees. A `sigaction` handler runs on whichever thread receives it and only
/// writes one byte, so every signal arrives.
///
/// Made once by `Application` on the main thread before any server thread starts; `next()` is
/// called by one thread only. Lives for the process.
package final class SignalPipe: Sendable {
    private let readFD: Int32

    /// Forwards `signals` to the pipe from now on. Call it on the main thread before starting
    /// other threads: it also unblocks `signals` there, for them to inherit. Throws `SocketError` when the pipe or a
    /// handler cannot be made.
    package init(_ signals: [Int32]) throws(SocketError) {
        var fds: [Int32] = [-1, -1]
        _ = try syscallNonBlocking("pipe") { pipe(&fds) }
        for fd in fds { _ = try syscallNonBlocking("fcntl") { fcntl(fd, F_SETFD, FD_CLOEXEC) } }
        // The handler must never block: a full pipe drops the byte (64 KiB of unread signals).
        _ = try syscallNonBlocking("fcntl") { fcntl(fds[1], F_SETFL, O_NONBLOCK) }
        readFD = fds[0]
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for sig in signals {
            _ = try syscallNonBlocking("sigaction") { clinux_forward_signal(sig, fds[1]) }
            sigaddset(&unblock, sig)
        }
        // A parent may have started us with these blocked (a test runner's spawn does): unblock
        // them in this thread, which every server thread started later inherits.
        let failed = pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        if failed != 0 { throw SocketError(call: "pthread_sigmask", errno: failed) }
    }

    /// Blocks until a signal arrives and returns its number. `nil` only if the pipe fails.
    package func next() -> Int32? {
        var byte: UInt8 = 0
        while true {
            let n = read(readFD, &byte, 1)
            if n == 1 { return Int32(byte) }
            if n < 0 && errno == EINTR { continue }
            return nil
        }
    }
}
