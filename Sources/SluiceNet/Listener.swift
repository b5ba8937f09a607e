import Glibc

/// A listening socket on one event loop; accepts until the backlog is empty and hands each new
/// descriptor to `onAccept`, on the loop's thread.
package final class Listener: Selectable, @unchecked Sendable {
    package let fd: Int32
    package let port: Int
    private unowned let loop: EventLoop
    private let onAccept: (Int32) -> Void
    private let onError: (SocketError) -> Void

    /// Binds and registers; call on `loop`'s thread (or before it runs).
    package init(
        host: String, port: Int, loop: EventLoop,
        onAccept: @escaping (Int32) -> Void, onError: @escaping (SocketError) -> Void
    ) throws(SocketError) {
        let bound = try Socket.listen(host: host, port: port)
        fd = bound.fd
        self.port = bound.port
        self.loop = loop
        self.onAccept = onAccept
        self.onError = onError
        do {
            try loop.register(self)
        } catch {
            Glibc.close(bound.fd)
            throw error
        }
    }

    package func onReadable() {
        while true {
            do {
                guard let client = try Socket.accept(fd) else { return }
                onAccept(client)
            } catch {
                // EMFILE and friends: report and wait for the next readiness instead of spinning.
                onError(error)
                return
            }
        }
    }

    package func onWritable() {}

    /// Stops accepting and closes the socket. Loop thread only.
    package func close() {
        loop.deregister(self)
        Glibc.close(fd)
    }
}
