/// A `Response`'s head as HTTP/2 header fields: `:status` first, the response's own fields
/// minus those HTTP/2 forbids or the connection decides, then `content-length` and `date`.
enum HTTP2Fields {
    /// All names and values in one buffer, with their ranges (`HTTP2Session.submitResponse`
    /// points nghttp2 into it for the call, and nghttp2 copies them).
    static func encode(_ response: Response, date: [UInt8]) -> (storage: [UInt8], fields: [(name: Range<Int>, value: Range<Int>)]) {
        var storage: [UInt8] = []
        storage.reserveCapacity(64 + response.headers.count * 48 + date.count)
        var fields: [(name: Range<Int>, value: Range<Int>)] = []
        fields.reserveCapacity(response.headers.count + 4)
        func add<N: Sequence<UInt8>, V: Sequence<UInt8>>(_ name: N, _ value: V) {
            append(name, value, to: &storage, &fields)
        }
        add(":status".utf8, response.isGRPC ? "200".utf8 : String(response.status).utf8)
        for (name, value) in response.headers where !isExcluded(name) {
            add(name.utf8, value.utf8)
        }
        if let requestID = response.requestID { add("x-request-id".utf8, requestID.id.utf8) }
        // A gRPC answer may stream: its length is its messages' business.
        if !response.isGRPC { add("content-length".utf8, String(response.body.count).utf8) }
        add("date".utf8, date)
        return (storage, fields)
    }

    /// Trailer fields, in the same form (no pseudo-fields, nothing the connection adds).
    static func encode(trailers: Headers) -> (storage: [UInt8], fields: [(name: Range<Int>, value: Range<Int>)]) {
        var storage: [UInt8] = []
        var fields: [(name: Range<Int>, value: Range<Int>)] = []
        for (name, value) in trailers where !isExcluded(name) {
            append(name.utf8, value.utf8, to: &storage, &fields)
        }
        return (storage, fields)
    }

    /// One field: its name and value appended to `storage`, their ranges to `fields`.
    @inline(__always)
    private static func append<N: Sequence<UInt8>, V: Sequence<UInt8>>(
        _ name: N, _ value: V, to storage: inout [UInt8], _ fields: inout [(name: Range<Int>, value: Range<Int>)]
    ) {
        let nameStart = storage.count
        storage.append(contentsOf: name)
        let valueStart = storage.count
        storage.append(contentsOf: value)
        fields.append((nameStart..<valueStart, valueStart..<storage.count))
    }

    /// Connection-specific fields (RFC 9113 §8.2.2), which a client must treat as malformed,
    /// and `content-length`, which we write from the body.
    private static func isExcluded(_ name: String) -> Bool {
        switch name {
        case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "content-length": true
        default: false
        }
    }
}
