import Glibc

/// The TLS halves of reading and writing: OpenSSL's would-blocks become epoll interest.
extension Connection {
    /// The TLS read path: finishes the handshake first, then decrypts until OpenSSL needs more
    /// bytes from the socket, or the wake-up's budget (`readsPerWakeUp`) is spent. Unlike a plain
    /// read, a short read says nothing about what is left (OpenSSL hands out one record at a
    /// time), so it loops until `wantRead`. A record (16 KiB at most) per read makes the budget
    /// 64 KiB here.
    func readTLS(_ tls: TLSSession) {
        if tlsWriteWantsRead {
            tlsWriteWantsRead = false
            flush()
            if isClosed { return }
        }
        var reads = 0
        while !isClosed {
            let handshaking = !tls.isHandshakeComplete
            guard handshaking || readEnabled else { return }
            if reads == Self.readsPerWakeUp {
                readBufferedTLSNextIteration()
                return
            }
            switch handshaking ? tls.handshake() : tls.read(into: scratch) {
            case .done(let count):
                if handshaking {
                    updateInterest()
                    delegate?.connectionDidHandshake(self)
                } else {
                    reads += 1
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

    /// Plaintext OpenSSL has already decrypted (or raw bytes it has already taken from the
    /// socket) sits in user space, where level-triggered epoll cannot see it: a stream that
    /// stops reading with some left — its budget spent, or reads paused — reads again on the
    /// loop's next iteration. Once per iteration at most.
    func readBufferedTLSNextIteration() {
        guard let tls, !readScheduled, tls.hasBufferedBytes else { return }
        readScheduled = true
        loop.executeNextIteration { [self] in
            readScheduled = false
            if !isClosed && readEnabled { onReadable() }
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
