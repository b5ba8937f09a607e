import Glibc

/// A listening socket on one event loop; accepts until the backlog is empty and hands each new
/// descriptor to `onAccept`, on the loop's thread.
///
/// An accept that fails for want of descriptors or memory pauses the listener (`AcceptPause`):
/// it leaves the epoll set, whose level-triggered readiness would otherwise wake the loop again
/// at once, and a loop tick puts it back about half a second later.
package final class Listener: Selectable, @unchecked Sendable {
    package let fd: Int32
    package let port: Int
    private unowned let loop: EventLoop
    private let onAccept: (Int32) -> Void
    private let onPause: (SocketError, Int) -> Void
    private var pause = AcceptPause()
    private var isClosed = false

    /// Binds and registers; call on `loop`'s thread (or before it runs). `onPause` is called on
    /// the loop when accepting pauses and a warning is due (at most once a minute), with the
    /// error and the number of pauses since the last call.
    package init(
        host: String, port: Int, loop: EventLoop,
        onAccept: @escaping (Int32) -> Void, onPause: @escaping (SocketError, Int) -> Void
    ) throws(SocketError) {
        let bound = try Socket.listen(host: host, port: port)
        fd = bound.fd
        self.port = bound.port
        self.loop = loop
        self.onAccept = onAccept
        self.onPause = onPause
        do {
            try loop.register(self)
        } catch {
            Glibc.close(bound.fd)
            throw error
        }
        loop.onTick { [weak self] now in self?.tick(now) }
    }

    package func onReadable() {
        while true {
            do {
                guard let client = try Socket.accept(fd) else { return }
                onAccept(client)
            } catch {
                // Anything else (a peer that reset while queued) concerns one connection: the
                // next readiness tries again.
                if AcceptPause.isExhaustion(error) { paused(by: error) }
                return
            }
        }
    }

    package func onWritable() {}

    private func paused(by error: SocketError) {
        loop.deregister(self)
        if let unreported = pause.failed(now: MonotonicClock.now()) { onPause(error, unreported) }
    }

    private func tick(_ now: UInt64) {
        guard !isClosed, pause.resumes(now: now) else { return }
        do {
            try loop.register(self)
        } catch {
            // epoll_ctl itself out of memory: stay out and try again on a later tick.
            _ = pause.failed(now: now)
        }
    }

    /// Stops accepting and closes the socket. Loop thread only.
    package func close() {
        isClosed = true
        loop.deregister(self)
        Glibc.close(fd)
    }
}
