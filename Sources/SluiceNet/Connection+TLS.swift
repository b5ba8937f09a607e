import Glibc

/// The TLS halves of reading and writing: OpenSSL's would-blocks become epoll interest.
extension Connection {
    /// The TLS read path: finishes the handshake first, then decrypts until OpenSSL needs more
    /// bytes from the socket. Unlike a plain read, a short read says nothing about what is left
    /// (OpenSSL hands out one record at a time), so it loops until `wantRead`.
    func readTLS(_ tls: TLSSession) {
        if tlsWriteWantsRead {
            tlsWriteWantsRead = false
            flush()
            if isClosed { return }
        }
        while !isClosed {
            let handshaking = !tls.isHandshakeComplete
            guard handshaking || readEnabled else { return }
            switch handshaking ? tls.handshake() : tls.read(into: scratch) {
            case .done(let count):
                if handshaking {
                    updateInterest()
                    delegate?.connectionDidHandshake(self)
                } else {
                    delegate?.connection(self, didRead: UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
                }
            case .wantRead:
                return
            case .wantWrite:
                tlsReadWantsWrite = true
                updateInterest()
                return
            case .closed where !handshaking:
                peerClosed()
                return
            case .closed, .failed:
                close()
                return
            }
        }
    }

    /// One `SSL_write` of the head of the queue (TLS has no gather write; the head and an inline
    /// body are one array already). Nothing goes out before the handshake is complete.
    func writeTLS(_ tls: TLSSession) throws(SocketError) -> IOResult<Int> {
        guard tls.isHandshakeComplete else { return .wouldBlock }
        let offset = queueOffset
        switch queue[0].withUnsafeBytes({ tls.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }) {
        case .done(let n): return .done(n)
        case .wantWrite: return .wouldBlock
        case .wantRead:
            tlsWriteWantsRead = true
            return .wouldBlock
        case .closed, .failed: throw SocketError(call: "SSL_write", errno: EPIPE)
        }
    }
}
