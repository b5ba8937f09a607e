import CNGHTTP2

/// What an `HTTP2Session` reports while it reads frames, in Swift terms. Called on the owning
/// loop, from inside `HTTP2Session.receive` (or `nextOutput`, for `readBody` and `didSend`).
protocol HTTP2SessionDelegate: AnyObject {
    /// A client opened a stream with a request header block.
    func sessionDidBeginRequest(stream: Int32)
    /// One field of a request's header block (pseudo-header fields included).
    func session(stream: Int32, header name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>)
    /// A request's header block is complete; `endStream` when no body follows.
    func sessionDidReceiveHeaders(stream: Int32, endStream: Bool)
    /// Request body bytes, valid during the call.
    func session(stream: Int32, data: UnsafeBufferPointer<UInt8>)
    /// The client finished sending (END_STREAM on a DATA frame or on trailers).
    func sessionDidReceiveEnd(stream: Int32)
    /// The stream is gone (answered, reset by either side, or the session is closing).
    func sessionDidClose(stream: Int32)
    /// The last frame of our answer on `stream` went out.
    func sessionDidSendEnd(stream: Int32)
    /// A GOAWAY carrying an error went out: the connection ends over a protocol error.
    func sessionDidSendErrorGoaway()
    /// Copies up to `buffer.count` bytes of the answer's body; returns the count and whether
    /// the body is done, or nil when the stream has no body to give (the stream is reset).
    /// Nothing copied and not done means "more later" (a streaming answer): the stream waits
    /// until `HTTP2Session.resume`.
    func session(stream: Int32, readBodyInto buffer: UnsafeMutableRawBufferPointer) -> (count: Int, done: Bool)?
    /// The fields to send after the answer's body, once it is done (empty: none, the last
    /// DATA frame ends the stream).
    func sessionTrailers(stream: Int32) -> Headers
}

/// A loop-confined wrapper around one server-side `nghttp2_session*`: bytes in (`receive`),
/// frames out (`nextOutput`), answers submitted with a data provider so DATA frames follow
/// the peer's flow-control windows.
///
/// Owned by one `HTTP2Connection` and used only on that connection's event loop, like the
/// `Connection` under it; nghttp2 is not thread-safe and calls back into the delegate
/// synchronously from `receive` and `nextOutput`. Failures of the peer (protocol errors) are
/// handled by nghttp2, which queues a GOAWAY; `receive` returns false only when the session
/// cannot go on at all.
final class HTTP2Session {
    private let session: OpaquePointer
    unowned let delegate: any HTTP2SessionDelegate
    /// Counts cheap frames against requests and payload; `receive` ends a flooding session.
    var flood = HTTP2FloodGuard()

    /// Nil when nghttp2 cannot allocate a session.
    init?(delegate: any HTTP2SessionDelegate, settings: HTTP2Settings, maxHeaderListSize: Int) {
        self.delegate = delegate
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { return nil }
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.install(callbacks)
        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else { return nil }
        defer { nghttp2_option_del(option) }
        // The client's magic is checked here, by nghttp2; our own sniffing only routes bytes.
        nghttp2_option_set_no_recv_client_magic(option, 0)
        // nghttp2's own flood limits, at its defaults, written out as they are part of what
        // the README promises: a session that owes more than 1,000 SETTINGS and PING
        // acknowledgements (a client that sends them and reads nothing), or that receives a
        // SETTINGS frame of more than 32 entries, ends. Its RST_STREAM rate limit (1,000, then
        // 33/s) and CONTINUATION limit (8 per header block) are left at their defaults.
        nghttp2_option_set_max_outbound_ack(option, 1_000)
        nghttp2_option_set_max_settings(option, 32)
        var created: OpaquePointer?
        guard nghttp2_session_server_new2(&created, callbacks, nil, option) == 0, let created else { return nil }
        session = created
        nghttp2_session_set_user_data(session, Unmanaged.passUnretained(self).toOpaque())
        var entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: UInt32(settings.maxConcurrentStreams)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: UInt32(settings.initialWindowSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: UInt32(settings.maxFrameSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: UInt32(clamping: maxHeaderListSize)),
        ]
        // On failure `deinit` deletes the session: every stored property is set by now.
        guard nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count) == 0 else { return nil }
        // The connection-wide window starts at 65,535 whatever SETTINGS say; raise it to match.
        if settings.initialWindowSize > 65_535 {
            _ = nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(settings.initialWindowSize))
        }
    }

    deinit { nghttp2_session_del(session) }

    /// Feeds bytes read from the socket. False when the session is beyond repair (the caller
    /// flushes what is queued — a GOAWAY when nghttp2 could write one — and closes).
    func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return true }
        flood.received(bytes.count)
        let n = nghttp2_session_mem_recv(session, base, bytes.count)
        if n < 0 {
            _ = nghttp2_session_terminate_session(session, UInt32(NGHTTP2_PROTOCOL_ERROR.rawValue))
            return false
        }
        // Checked per frame as each begins (the callback) and once per read, as nginx does, for
        // bytes that no frame callback sees (padding, ignored frames). GOAWAY goes out with the
        // answers already owed.
        if flood.isFlooding { terminate(code: NGHTTP2_ENHANCE_YOUR_CALM) }
        return true
    }

    /// The frames nghttp2 wants to send, up to about `limit` bytes (one frame may overshoot),
    /// as one buffer for one write; empty when there is nothing to send, nil on a fatal error.
    func nextOutput(limit: Int) -> [UInt8]? {
        var out: [UInt8] = []
        while out.count < limit {
            var chunk: UnsafePointer<UInt8>?
            let n = nghttp2_session_mem_send(session, &chunk)
            if n < 0 { return nil }
            guard n > 0, let chunk else { break }
            out.append(contentsOf: UnsafeBufferPointer(start: chunk, count: n))
        }
        return out
    }

    /// Whether the session has more to read or write; when neither, the connection is done
    /// (after a GOAWAY, once its last stream closed).
    var isFinished: Bool { nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0 }

    /// Queues the answer on `stream`: HEADERS with `fields` (`:status` first), then DATA
    /// frames pulled from the delegate's `readBody` unless `hasBody` is false.
    /// `fields` are (name, value) byte ranges of `storage`. False when nghttp2 refused.
    func submitResponse(stream: Int32, storage: [UInt8], fields: [(name: Range<Int>, value: Range<Int>)], hasBody: Bool) -> Bool {
        Self.withNameValues(storage, fields) { nva in
            guard hasBody else { return nghttp2_submit_response(session, stream, &nva, nva.count, nil) == 0 }
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: Self.readBody)
            return nghttp2_submit_response(session, stream, &nva, nva.count, &provider) == 0
        }
    }

    /// `fields` (byte ranges of `storage`) as nghttp2's name-value pairs pointing into it, for
    /// the duration of `body` (nghttp2 copies them).
    private static func withNameValues(
        _ storage: [UInt8], _ fields: [(name: Range<Int>, value: Range<Int>)], _ body: (inout [nghttp2_nv]) -> Bool
    ) -> Bool {
        storage.withUnsafeBufferPointer { bytes in
            let base = UnsafeMutablePointer(mutating: bytes.baseAddress)
            var nva = fields.map { field in
                nghttp2_nv(name: base.map { $0 + field.name.lowerBound }, value: base.map { $0 + field.value.lowerBound },
                           namelen: field.name.count, valuelen: field.value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            return body(&nva)
        }
    }

    /// Queues `trailers` to end `stream` after its body: called from the data provider when the
    /// body is done, which then leaves END_STREAM to the trailers' HEADERS frame. False when
    /// nghttp2 refused (the body's last DATA frame ends the stream instead).
    func submitTrailers(stream: Int32, _ trailers: Headers) -> Bool {
        if trailers.count == 1, trailers["grpc-status"] == "0" { return submitGRPCSuccess(stream: stream) }
        let (storage, fields) = HTTP2Fields.encode(trailers: trailers)
        return Self.withNameValues(storage, fields) { nva in nghttp2_submit_trailer(session, stream, &nva, nva.count) == 0 }
    }

    /// `grpc-status: 0`, the trailer of every successful gRPC call, from static bytes: no
    /// buffer to build per call.
    private func submitGRPCSuccess(stream: Int32) -> Bool {
        let field: StaticString = "grpc-status0"
        let base = UnsafeMutablePointer(mutating: field.utf8Start)
        var nv = nghttp2_nv(name: base, value: base + 11, namelen: 11, valuelen: 1, flags: UInt8(NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue | NGHTTP2_NV_FLAG_NO_COPY_VALUE.rawValue))
        return nghttp2_submit_trailer(session, stream, &nv, 1) == 0
    }

    /// Wakes a stream whose data provider deferred (a streaming answer has more to send).
    func resume(stream: Int32) {
        _ = nghttp2_session_resume_data(session, stream)
    }

    /// Resets one stream (the connection goes on).
    func reset(stream: Int32, code: nghttp2_error_code) {
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream, UInt32(code.rawValue))
    }

    /// GOAWAY naming the last stream we took: streams up to it are answered, newer ones are
    /// refused, and the session finishes when the last open stream closes.
    func goAway(code: nghttp2_error_code = NGHTTP2_NO_ERROR) {
        let last = nghttp2_session_get_last_proc_stream_id(session)
        _ = nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, UInt32(code.rawValue), nil, 0)
    }

    /// GOAWAY and no more streams: what is queued goes out, nothing more is read.
    func terminate(code: nghttp2_error_code) {
        _ = nghttp2_session_terminate_session(session, UInt32(code.rawValue))
    }

    /// Takes over an HTTP/1.1 `Upgrade: h2c` request as stream 1 (half-closed: its answer is
    /// owed). `settingsPayload` is the decoded `HTTP2-Settings` field. False when invalid.
    func upgrade(settingsPayload: [UInt8], headRequest: Bool) -> Bool {
        settingsPayload.withUnsafeBufferPointer { payload in
            nghttp2_session_upgrade2(session, payload.baseAddress, payload.count, headRequest ? 1 : 0, nil) == 0
        }
    }

    /// The delegate of the session behind `userData` (the `HTTP2Session` itself).
    static func delegate(_ userData: UnsafeMutableRawPointer?) -> (any HTTP2SessionDelegate)? {
        session(userData)?.delegate
    }

    /// The session behind `userData`.
    static func session(_ userData: UnsafeMutableRawPointer?) -> HTTP2Session? {
        guard let userData else { return nil }
        return Unmanaged<HTTP2Session>.fromOpaque(userData).takeUnretainedValue()
    }
}
