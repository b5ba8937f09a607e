import CNGHTTP2

/// nghttp2's C callbacks, each a capture-free closure that finds the delegate through the
/// session's user data. They run on the owning loop, inside `receive` or `nextOutput` (so they
/// are not main-actor code: a C callback closure written in `main.swift` would be taken for
/// main-actor code and trap when another thread calls it).
extension HTTP2Session {
    static func install(_ callbacks: OpaquePointer) {
        nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks) { _, header, userData in
            guard let header, let session = HTTP2Session.session(userData) else { return 0 }
            session.flood.frame(type: header.pointee.type, length: header.pointee.length)
            // At once, not at the end of the read: nghttp2 ignores the rest of the input then.
            if session.flood.isFlooding { session.terminate(code: NGHTTP2_ENHANCE_YOUR_CALM) }
            return 0
        }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            guard let frame, HTTP2Session.isRequestHeaders(frame), let session = HTTP2Session.session(userData) else { return 0 }
            session.flood.requestBegan()
            session.delegate.sessionDidBeginRequest(stream: frame.pointee.hd.stream_id)
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, userData in
            guard let frame, HTTP2Session.isRequestHeaders(frame) else { return 0 }
            HTTP2Session.delegate(userData)?.session(
                stream: frame.pointee.hd.stream_id, header: UnsafeBufferPointer(start: name, count: nameLength),
                value: UnsafeBufferPointer(start: value, count: valueLength))
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            guard let frame, let delegate = HTTP2Session.delegate(userData) else { return 0 }
            let header = frame.pointee.hd
            let endStream = header.flags & HTTP2Session.flagEndStream != 0
            switch header.type {
            case HTTP2Session.typeHeaders:
                if HTTP2Session.isRequestHeaders(frame) {
                    delegate.sessionDidReceiveHeaders(stream: header.stream_id, endStream: endStream)
                } else if endStream {
                    delegate.sessionDidReceiveEnd(stream: header.stream_id)  // trailers
                }
            case HTTP2Session.typeData:
                if endStream { delegate.sessionDidReceiveEnd(stream: header.stream_id) }
            default:
                break
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, stream, data, length, userData in
            guard let session = HTTP2Session.session(userData) else { return 0 }
            session.flood.carried(length)
            session.delegate.session(stream: stream, data: UnsafeBufferPointer(start: data, count: length))
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, stream, _, userData in
            HTTP2Session.delegate(userData)?.sessionDidClose(stream: stream)
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { _, frame, userData in
            guard let frame, let session = HTTP2Session.session(userData) else { return 0 }
            let delegate = session.delegate
            let header = frame.pointee.hd
            switch header.type {
            case HTTP2Session.typeHeaders, HTTP2Session.typeData:
                session.flood.carried(header.length)
                if header.flags & HTTP2Session.flagEndStream != 0 { delegate.sessionDidSendEnd(stream: header.stream_id) }
            case HTTP2Session.typeGoaway:
                if frame.pointee.goaway.error_code != UInt32(NGHTTP2_NO_ERROR.rawValue) { delegate.sessionDidSendErrorGoaway() }
            default:
                break
            }
            return 0
        }
    }

    /// The data provider of every answer with a body: pulls from the delegate, as much as
    /// the flow-control windows allow (`length`).
    static let readBody: nghttp2_data_source_read_callback = { _, stream, buffer, length, flags, _, userData in
        guard let buffer, let flags, let session = HTTP2Session.session(userData),
              let (count, done) = session.delegate.session(stream: stream, readBodyInto: UnsafeMutableRawBufferPointer(start: buffer, count: length))
        else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        if count == 0 && !done { return Int(NGHTTP2_ERR_DEFERRED.rawValue) }
        if done {
            flags.pointee |= UInt32(NGHTTP2_DATA_FLAG_EOF.rawValue)
            // Trailers end the stream instead of this last DATA frame (nghttp2 lets the
            // provider submit them here).
            let trailers = session.delegate.sessionTrailers(stream: stream)
            if !trailers.isEmpty, session.submitTrailers(stream: stream, trailers) {
                flags.pointee |= UInt32(NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue)
            }
        }
        return count
    }

    private static let typeHeaders = UInt8(NGHTTP2_HEADERS.rawValue)
    private static let typeData = UInt8(NGHTTP2_DATA.rawValue)
    private static let typeGoaway = UInt8(NGHTTP2_GOAWAY.rawValue)
    private static let flagEndStream = UInt8(NGHTTP2_FLAG_END_STREAM.rawValue)

    private static func isRequestHeaders(_ frame: UnsafePointer<nghttp2_frame>) -> Bool {
        frame.pointee.hd.type == typeHeaders && frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
    }
}
