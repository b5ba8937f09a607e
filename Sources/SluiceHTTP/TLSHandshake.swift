import SluiceNet

/// A TLS connection from accept until its handshake ends. Then its owner hands the stream to
/// the connection type ALPN chose, or forgets it if the handshake failed. The handshake must
/// finish within the header timeout (`Timeouts.Wait.handshake`, checked on each tick).
/// Confined to its loop.
final class TLSHandshake: ConnectionDelegate {
    let stream: Connection
    /// Monotonic nanoseconds at accept.
    let started: UInt64
    private unowned let owner: any ConnectionOwner

    init(stream: Connection, owner: any ConnectionOwner, started: UInt64) {
        self.stream = stream
        self.owner = owner
        self.started = started
    }

    /// Application bytes come only after the handshake, by then to the next delegate.
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {}

    func connectionDidDrain(_ connection: Connection) {}

    func connectionDidHandshake(_ connection: Connection) {
        owner.handshakeEnded(self, alpn: connection.tls?.negotiatedProtocol ?? "http/1.1")
    }

    func connectionDidClose(_ connection: Connection) {
        owner.handshakeEnded(self, alpn: nil)
    }

    /// Closes the stream when the handshake has taken too long at `now` (a loop tick).
    func tick(_ now: UInt64, timeouts: Timeouts) {
        if timeouts.hasExpired(.handshake, since: started, now: now) { stream.close() }
    }
}
