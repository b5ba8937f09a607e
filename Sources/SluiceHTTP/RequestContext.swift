import Synchronization

/// What is known about one request as it travels: made by its connection when the request is
/// complete, told its endpoint pattern by `Endpoints`, its protocol, model, version, route, arm
/// and timings by the application's handler, and read once more when the answer goes out — by
/// the access log, the error log and the `x-request-id` echo. So nothing downstream parses the
/// URL again or reads the answer's own headers back.
///
/// A class held by the request's `ResponseWriter`: one allocation per request, and every hand-on
/// (loop → worker → loop) is one retain. It is touched by one thread at a time, in the order the
/// request moves; the hop back to the loop (`EventLoop.execute`) orders the worker's writes
/// before the connection reads them.
package final class RequestContext: @unchecked Sendable {
    /// The client's `x-request-id`, else the trace id of its W3C `traceparent`, else one made
    /// here (32 hex digits, the shape of a trace id).
    package let id: String
    package let method: String
    /// The request target as sent (path and query).
    package let target: String
    /// Monotonic nanoseconds when the request was complete.
    package let started: UInt64
    /// The endpoint pattern that matched (`/v2/models/{model}/infer`); empty when none did.
    package var endpoint = ""
    /// The wire protocol of the handler (`v2`, `v1`), the `protocol` label of the metrics.
    package var protocolName = ""
    /// The model, version, route and arm that served it, as far as they are known.
    package var model = ""
    package var version: Int?
    package var route = ""
    package var arm = ""
    /// Nanoseconds the request waited for a worker, and its backend ran.
    package var queueNanos = 0
    package var computeNanos = 0

    package init(id: String, method: String, target: String, started: UInt64) {
        self.id = id
        self.method = method
        self.target = target
        self.started = started
    }

    /// The context of `request`, complete at `now`; the id comes from its headers when the
    /// client sent one. On the request's loop, once per request.
    package convenience init(_ request: Request, now: UInt64) {
        self.init(id: Self.id(of: request.headers), method: request.method, target: request.target, started: now)
    }

    /// The path of `target`, without its query.
    package var path: Substring {
        guard let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target[...] }
        return target[..<q]
    }

    /// The id a client sent: a non-empty `x-request-id` of at most 128 visible ASCII bytes,
    /// else the trace id of a well-formed `traceparent` (version 00, 32 hex digits, not all
    /// zero), else a new one.
    static func id(of headers: Headers) -> String {
        if let given = headers["x-request-id"], !given.isEmpty, given.utf8.count <= 128,
           given.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return given
        }
        if let parent = headers["traceparent"], let trace = traceID(parent) { return trace }
        return RequestID.next()
    }

    /// `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>` (W3C Trace Context §3.2).
    static func traceID(_ traceparent: String) -> String? {
        let parts = traceparent.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].utf8.count == 2, parts[0] != "ff", parts[1].utf8.count == 32,
              parts[1].utf8.allSatisfy({ isLowerHex($0) }), parts[1].utf8.contains(where: { $0 != UInt8(ascii: "0") })
        else { return nil }
        return String(parts[1])
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
    }
}

/// Request ids made by this process: 16 hex digits drawn once at start, then a 64-bit counter,
/// so ids never repeat within a process and differ between replicas. One relaxed atomic add per
/// request without an id of its own.
enum RequestID {
    private static let prefix: UInt64 = .random(in: 1...UInt64.max)
    private static let counter = Atomic<UInt64>(0)

    static func next() -> String {
        let n = counter.wrappingAdd(1, ordering: .relaxed).newValue
        return String(unsafeUninitializedCapacity: 32) { out in
            hex(prefix, into: out, at: 0)
            hex(n, into: out, at: 16)
            return 32
        }
    }

    private static func hex(_ value: UInt64, into out: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        let digits: StaticString = "0123456789abcdef"
        for i in 0..<16 {
            let nibble = Int((value >> UInt64(60 - 4 * i)) & 0xF)
            out[offset + i] = digits.utf8Start[nibble]
        }
    }
}
