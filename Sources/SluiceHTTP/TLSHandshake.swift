import SluiceNet

/// A TLS connection from accept until its handshake ends. Then its loop context hands the
/// stream to the connection type ALPN chose, or forgets it if the handshake failed. The
/// handshake must finish within the header timeout (`LoopContext` checks on each tick).
/// Confined to its loop.
final class TLSHandshake: ConnectionDelegate {
    let stream: Connection
    /// Monotonic nanoseconds at accept.
    let started: UInt64
    private unowned let context: LoopContext

    init(stream: Connection, context: LoopContext, started: UInt64) {
        self.stream = stream
        self.context = context
        self.started = started
    }

    /// Application bytes come only after the handshake, by then to the next delegate.
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {}

    func connectionDidDrain(_ connection: Connection) {}

    func connectionDidHandshake(_ connection: Connection) {
        context.handshakeEnded(self, alpn: connection.tls?.negotiatedProtocol ?? "http/1.1")
    }

    func connectionDidClose(_ connection: Connection) {
        context.handshakeEnded(self, alpn: nil)
    }
}
