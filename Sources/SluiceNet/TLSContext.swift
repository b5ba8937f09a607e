import COpenSSL
import Glibc

/// One immutable OpenSSL server context (`SSL_CTX`): certificate chain and key from PEM files,
/// TLS 1.2 minimum (1.3 negotiated whenever the client has it), forward-secret AEAD ciphers for
/// 1.2, ALPN chosen by the server's order of preference, and, with a client CA, mandatory client
/// certificates (mTLS).
///
/// Made at start-up and on every reload, on whichever thread asks (the main thread, the SIGHUP
/// handler); immutable afterwards, so sessions on any loop may be created from it concurrently
/// (OpenSSL locks the context's reference count itself). A session keeps its context alive.
package final class TLSContext: @unchecked Sendable {
    package struct Configuration: Sendable, Equatable {
        package var certificateFile: String
        package var keyFile: String
        /// PEM bundle of CAs whose client certificates are accepted; nil = no client certificates.
        package var clientCAFile: String?
        /// ALPN protocol ids in the server's order of preference, e.g. `["h2", "http/1.1"]`.
        package var alpn: [String]

        package init(certificateFile: String, keyFile: String, clientCAFile: String? = nil, alpn: [String] = ["http/1.1"]) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.clientCAFile = clientCAFile
            self.alpn = alpn
        }
    }

    package let configuration: Configuration
    let ctx: OpaquePointer
    /// The ALPN list in wire format (length-prefixed ids), the select callback's argument.
    private let alpnWire: UnsafeMutableBufferPointer<UInt8>

    /// TLS 1.2 suites: ECDHE key exchange and AEAD only (TLS 1.3 suites are OpenSSL's defaults).
    private static let cipherList =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

    /// Reads and checks every file. Throws `TLSError` naming the file and OpenSSL's reason:
    /// unreadable, not PEM, a key that does not match the certificate, a bad CA bundle.
    package init(_ configuration: Configuration) throws(TLSError) {
        self.configuration = configuration
        for file in [configuration.certificateFile, configuration.keyFile] + (configuration.clientCAFile.map { [$0] } ?? []) {
            guard access(file, R_OK) == 0 else {
                throw TLSError(file: file, reason: "cannot read: \(String(cString: strerror(errno)))")
            }
        }
        var wire: [UInt8] = []
        for id in configuration.alpn {
            let bytes = Array(id.utf8)
            guard !bytes.isEmpty, bytes.count < 256 else { throw TLSError(reason: "invalid ALPN protocol id '\(id)'") }
            wire.append(UInt8(bytes.count))
            wire += bytes
        }
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw TLSError(reason: "SSL_CTX_new failed: \(Self.drainErrors())") }
        self.ctx = ctx
        alpnWire = .allocate(capacity: max(1, wire.count))
        _ = alpnWire.initialize(from: wire)
        alpnWireCount = wire.count
        // From here on `deinit` frees what was made if a check below throws.
        sluice_SSL_CTX_set_min_proto_version(ctx, sluice_TLS1_2_VERSION())
        _ = sluice_SSL_CTX_set_options(
            ctx, sluice_SSL_OP_NO_COMPRESSION() | sluice_SSL_OP_NO_RENEGOTIATION() | sluice_SSL_OP_CIPHER_SERVER_PREFERENCE()
                | sluice_SSL_OP_IGNORE_UNEXPECTED_EOF())
        // Partial writes and a moving buffer let the connection's write queue retry from where
        // it stands; released buffers keep idle keep-alive connections small.
        _ = sluice_SSL_CTX_set_mode(
            ctx, sluice_SSL_MODE_ENABLE_PARTIAL_WRITE() | sluice_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER() | sluice_SSL_MODE_RELEASE_BUFFERS())
        guard SSL_CTX_set_cipher_list(ctx, Self.cipherList) == 1 else {
            throw TLSError(reason: "cipher list rejected: \(Self.drainErrors())")
        }
        guard SSL_CTX_use_certificate_chain_file(ctx, configuration.certificateFile) == 1 else {
            throw TLSError(file: configuration.certificateFile, reason: "not a usable PEM certificate chain: \(Self.drainErrors())")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, configuration.keyFile, SSL_FILETYPE_PEM) == 1 else {
            let errors = Self.drainErrors()
            if errors.contains("key values mismatch") {
                throw TLSError(file: configuration.keyFile, reason: "private key does not match the certificate in \(configuration.certificateFile)")
            }
            throw TLSError(file: configuration.keyFile, reason: "not a usable PEM private key: \(errors)")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            // OpenSSL drops the certificate when the key does not fit it, so its own reason
            // ("no certificate assigned") would mislead.
            ERR_clear_error()
            throw TLSError(
                file: configuration.keyFile,
                reason: "private key does not match the certificate in \(configuration.certificateFile)")
        }
        if let ca = configuration.clientCAFile {
            guard SSL_CTX_load_verify_locations(ctx, ca, nil) == 1, let names = SSL_load_client_CA_file(ca) else {
                throw TLSError(file: ca, reason: "not a usable PEM CA bundle: \(Self.drainErrors())")
            }
            SSL_CTX_set_client_CA_list(ctx, names)
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        }
        if !wire.isEmpty {
            // Unretained: the callback runs inside a handshake, and every session holds its context.
            SSL_CTX_set_alpn_select_cb(ctx, TLSContext.selectALPN, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    private let alpnWireCount: Int

    /// OpenSSL's ALPN callback: the first of the server's ids (its order of preference) that the
    /// client offered. None in common: no ALPN in the answer, and the connection speaks
    /// HTTP/1.1. A static function, not a closure: a C callback that other threads call must not be
    /// taken for main-actor code, which traps off the main thread.
    private static let selectALPN: SSL_CTX_alpn_select_cb_func = { _, out, outLength, offered, offeredLength, arg in
        guard let arg, let out, let outLength, let offered else { return sluice_SSL_TLSEXT_ERR_NOACK() }
        let context = Unmanaged<TLSContext>.fromOpaque(arg).takeUnretainedValue()
        let client = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
        var s = 0
        while s < context.alpnWireCount {
            let sLength = Int(context.alpnWire[s])
            var c = 0
            while c < client.count {
                let cLength = Int(client[c])
                guard c + 1 + cLength <= client.count else { break }
                if cLength == sLength && (0..<sLength).allSatisfy({ client[c + 1 + $0] == context.alpnWire[s + 1 + $0] }) {
                    out.pointee = offered + c + 1
                    outLength.pointee = UInt8(cLength)
                    return sluice_SSL_TLSEXT_ERR_OK()
                }
                c += 1 + cLength
            }
            s += 1 + sLength
        }
        return sluice_SSL_TLSEXT_ERR_NOACK()
    }

    deinit {
        SSL_CTX_free(ctx)
        alpnWire.deallocate()
    }

    /// OpenSSL's queued errors as one line, and the queue emptied (it is per thread, and a stale
    /// entry would be blamed on the next call).
    /// Hands back the calling thread's OpenSSL state; a thread that used TLS calls it as it ends.
    package static func releaseThreadState() {
        OPENSSL_thread_stop()
    }

    static func drainErrors() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.isEmpty ? "unknown OpenSSL error" : reasons.joined(separator: "; ")
    }
}
