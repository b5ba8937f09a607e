import COpenSSL
import Glibc

/// One server-side TLS session (`SSL*`) on a connection's socket, confined to the connection's
/// event loop: every method runs on that loop's thread, called by `Connection` only.
///
/// OpenSSL reads and writes the non-blocking descriptor itself (`SSL_set_fd`) rather than
/// through memory BIOs: the bytes then go kernel → OpenSSL → the loop's scratch buffer with no
/// extra copy, and a would-block surfaces as `wantRead`/`wantWrite`, which the connection turns
/// into epoll interest. The session keeps its `TLSContext` alive, so a reload never pulls the
/// context from under a handshake in progress.
package final class TLSSession: @unchecked Sendable {
    /// The outcome of one OpenSSL call on a non-blocking socket.
    package enum Outcome {
        case done(Int)
        /// Call again when the socket is readable.
        case wantRead
        /// Call again when the socket is writable.
        case wantWrite
        /// The peer ended the stream (close_notify, or a plain EOF).
        case closed
        /// A protocol or socket error; the connection must close without a close_notify.
        case failed(String)
    }

    package let context: TLSContext
    private let ssl: OpaquePointer
    package private(set) var isHandshakeComplete = false
    private var isBroken = false
    /// The ALPN protocol the handshake settled on (`h2`, `http/1.1`), nil when the client sent none.
    package private(set) var negotiatedProtocol: String?

    /// Wraps `fd` (which the caller keeps owning) as the server end of a handshake to come.
    package init(context: TLSContext, fd: Int32) throws(TLSError) {
        guard let ssl = SSL_new(context.ctx) else { throw TLSError(reason: "SSL_new failed: \(TLSContext.drainErrors())") }
        self.context = context
        self.ssl = ssl
        guard SSL_set_fd(ssl, fd) == 1 else { throw TLSError(reason: "SSL_set_fd failed: \(TLSContext.drainErrors())") }
        SSL_set_accept_state(ssl)
    }

    deinit { SSL_free(ssl) }

    /// Advances the handshake; `.done` once it is complete.
    package func handshake() -> Outcome {
        let rc = SSL_do_handshake(ssl)
        if rc == 1 {
            isHandshakeComplete = true
            var name: UnsafePointer<UInt8>?
            var length: UInt32 = 0
            SSL_get0_alpn_selected(ssl, &name, &length)
            if let name, length > 0 {
                negotiatedProtocol = String(decoding: UnsafeBufferPointer(start: name, count: Int(length)), as: UTF8.self)
            }
            return .done(0)
        }
        return outcome(rc)
    }

    /// Decrypts into `buffer`; `.done(n)` with n > 0.
    package func read(into buffer: UnsafeMutableRawBufferPointer) -> Outcome {
        let rc = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        return rc > 0 ? .done(Int(rc)) : outcome(rc)
    }

    /// Encrypts and sends up to `bytes.count` bytes; `.done(n)` may be partial. After
    /// `wantRead`/`wantWrite` the caller retries with the same bytes (the moving-buffer mode
    /// allows another address for them).
    package func write(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        guard !bytes.isEmpty else { return .done(0) }
        let rc = SSL_write(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
        return rc > 0 ? .done(Int(rc)) : outcome(rc)
    }

    /// Whether OpenSSL holds bytes not yet handed out by `read` (epoll cannot see them).
    package var hasBufferedBytes: Bool { SSL_has_pending(ssl) == 1 }

    /// Sends a close_notify if the session is healthy; best effort, never waits.
    package func shutdown() {
        guard isHandshakeComplete, !isBroken else { return }
        isBroken = true
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    private func outcome(_ rc: Int32) -> Outcome {
        let code = SSL_get_error(ssl, rc)
        switch code {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN:
            isBroken = true
            return .closed
        case SSL_ERROR_SYSCALL where ERR_peek_error() == 0 && (rc == 0 || errno == ECONNRESET):
            isBroken = true
            ERR_clear_error()
            return .closed
        default:
            isBroken = true
            let reason = code == SSL_ERROR_SYSCALL ? String(cString: strerror(errno)) : TLSContext.drainErrors()
            ERR_clear_error()
            return .failed(reason)
        }
    }
}
