/// What sits on top of a byte stream (the HTTP layer). Called on the connection's loop only.
package protocol ConnectionDelegate: AnyObject {
    /// Bytes arrived. They are valid only during the call.
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer)
    /// Everything queued has been written.
    func connectionDidDrain(_ connection: Connection)
    /// The connection is closed (by either side); called once.
    func connectionDidClose(_ connection: Connection)
    /// TLS streams only: the handshake is complete and `connection.tls?.negotiatedProtocol` says
    /// what ALPN chose. The delegate may hand the stream to another delegate here.
    func connectionDidHandshake(_ connection: Connection)
}

extension ConnectionDelegate {
    package func connectionDidHandshake(_ connection: Connection) {}
}
