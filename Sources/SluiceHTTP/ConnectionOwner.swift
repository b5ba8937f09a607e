import SluiceNet

/// What a connection tells the loop that keeps it: the one way up from a connection, so that
/// connections know nothing else of their loop's bookkeeping. `LoopContext` is the owner; every
/// call comes on the owner's loop, from inside the connection's own event handling.
protocol ConnectionOwner: AnyObject {
    /// `connection` saw the HTTP/2 preface or answered 101 to `Upgrade: h2c`: it is done, and
    /// `stream` continues as HTTP/2 with `initial` (bytes read and not yet parsed) and, after
    /// an upgrade, the request that becomes stream 1. The stream is still one open connection.
    func switchToHTTP2(from connection: HTTPConnection, stream: Connection, initial: [UInt8], upgrade: HTTP2Upgrade?)
    /// The connection's stream closed; it is forgotten.
    func closed(_ connection: HTTPConnection)
    func closed(_ connection: HTTP2Connection)
    /// A TLS handshake finished (`alpn` is what ALPN chose, "http/1.1" when the client offered
    /// nothing) or failed (`alpn` nil: the stream is closed already).
    func handshakeEnded(_ handshake: TLSHandshake, alpn: String?)
}

/// An HTTP/1.1 request that asked for `Upgrade: h2c`, and its decoded `HTTP2-Settings`.
typealias HTTP2Upgrade = (request: Request, settings: [UInt8])
