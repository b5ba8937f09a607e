import SluiceNet
import Synchronization

/// What is known about one request as it travels: made by its connection when the request is
/// complete, told its endpoint pattern by `Endpoints`, its protocol, model, version, route, arm
/// and timings by the application's handler, and read once more when the answer goes out — by
/// the access log, the error log and the `x-request-id` echo. So nothing downstream parses the
/// URL again or reads the answer's own headers back.
///
/// A class held by the request's `ResponseWriter`: every hand-on (loop → worker → loop) is one
/// retain. It is touched by one thread at a time, in the order the request moves; the hop back
/// to the loop (`EventLoop.execute`) orders the worker's writes before the connection reads
/// them. An HTTP/1.1 connection reuses its last request's context for the next one when nothing
/// else holds it any more (`Exchange.open`), so a keep-alive request allocates none.
package final class RequestContext: @unchecked Sendable {
    /// The id the client gave (its `x-request-id`, or its `traceparent`'s trace id); nil when
    /// `serial` names one made here (`RequestID`), which is rendered only when it is read.
    package private(set) var givenID: String?
    private var serial: UInt64 = 0
    /// The method and the target as sent (path and query), for the access log: empty when the
    /// server keeps no access log (two fewer strings to hold per request).
    package private(set) var method: String
    package private(set) var target: String
    /// Monotonic nanoseconds when the request was complete.
    package private(set) var started: UInt64
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
    /// The monotonic time by which the client wants its answer (a gRPC call's `grpc-timeout`,
    /// a request's `timeout` parameter: `applyTimeout`),
    /// or nil: a request still waiting then is answered DEADLINE_EXCEEDED (504), not computed.
    package var deadline: UInt64?

    /// Set when the client gave up on the request (an HTTP/2 stream it reset, or whose
    /// connection closed, before its answer ended): read by whoever streams to it from another
    /// thread (a gRPC Watch).
    private let cancelled = Atomic<Bool>(false)

    package var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    func cancel() {
        cancelled.store(true, ordering: .relaxed)
    }

    /// Applies a request's own timeout, `microseconds` after it started (Triton's
    /// `parameters.timeout`): the deadline becomes the earlier of that and any already set (a
    /// gRPC call's `grpc-timeout`). A timeout too large to add to the start sets none.
    package func applyTimeout(microseconds: UInt64) {
        let (nanos, o1) = microseconds.multipliedReportingOverflow(by: 1000)
        let (at, o2) = started.addingReportingOverflow(nanos)
        guard !o1, !o2 else { return }
        deadline = min(deadline ?? at, at)
    }

    /// Whether the request's deadline has passed (the clock is read only when it has one).
    package var isLate: Bool {
        guard let deadline else { return false }
        return MonotonicClock.now() >= deadline
    }

    package init(id: String, method: String, target: String, started: UInt64) {
        givenID = id
        self.method = method
        self.target = target
        self.started = started
    }

    /// The context of `request`, complete at `now`; the id comes from its headers when the
    /// client sent one. `keepingTarget` false leaves `method` and `target` empty. On the
    /// request's loop, once per request.
    package init(_ request: borrowing Request, now: UInt64, keepingTarget: Bool = true) {
        method = keepingTarget ? request.method : ""
        target = keepingTarget ? request.target : ""
        started = now
        (givenID, serial) = Self.id(of: request)
    }

    /// Makes this the context of a new `request`, as `init(_:now:keepingTarget:)` would.
    func reset(for request: borrowing Request, now: UInt64, keepingTarget: Bool) {
        // Without an access log they were made empty and stay so.
        if keepingTarget {
            method = request.method
            target = request.target
        }
        started = now
        (givenID, serial) = Self.id(of: request)
        // Only what the last request set: most stay empty (an unrouted request sets no route).
        if !endpoint.isEmpty { endpoint = "" }
        if !protocolName.isEmpty { protocolName = "" }
        if !model.isEmpty { model = "" }
        version = nil
        if !route.isEmpty { route = "" }
        if !arm.isEmpty { arm = "" }
        queueNanos = 0
        computeNanos = 0
        deadline = nil
        cancelled.store(false, ordering: .relaxed)
    }

    /// The request id, as logged and echoed.
    package var id: String { givenID ?? RequestID.render(serial) }

    /// Appends the request id's bytes (the `x-request-id` echo), without making a string.
    func appendID(to bytes: inout [UInt8]) {
        if let givenID {
            bytes.append(contentsOf: givenID.utf8)
        } else {
            RequestID.append(serial, to: &bytes)
        }
    }

    /// The path of `target`, without its query.
    package var path: Substring {
        guard let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target[...] }
        return target[..<q]
    }

    /// `id(of: request.headers)`, looked for only when the parser saw one of the two fields.
    static func id(of request: borrowing Request) -> (given: String?, serial: UInt64) {
        request.mentionsRequestID ? id(of: request.headers) : (nil, RequestID.next())
    }

    /// The id a client sent: a non-empty `x-request-id` of at most 128 visible ASCII bytes,
    /// else the trace id of a well-formed `traceparent` (a two-character version other than ff,
    /// then 32 lower-case hex digits, not all zero), else a new one.
    static func id(of headers: Headers) -> (given: String?, serial: UInt64) {
        // One pass over the fields, comparing a name only when its length is one of the two:
        // most requests carry neither.
        var given: String?
        var parent: String?
        headers.withFields { fields in
            for field in fields {
                let length = field.name.utf8.count
                if length == 12, given == nil, field.name == "x-request-id" {
                    given = field.value
                } else if length == 11, parent == nil, field.name == "traceparent" {
                    parent = field.value
                }
            }
        }
        if let given, !given.isEmpty, given.utf8.count <= 128, given.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return (given, 0)
        }
        if let parent, let trace = traceID(parent) { return (trace, 0) }
        return (nil, RequestID.next())
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

/// Request ids made by this process: 15 characters of base 32 (`0-9a-v`), the first 7 drawn
/// once at start (35 random bits, so replicas differ), the last 8 a counter (2^40 ids before it
/// wraps). A context keeps only the counter's value; the characters are written when the id is
/// echoed or logged. One relaxed atomic add per request without an id of its own.
enum RequestID {
    private static let counter = Atomic<UInt64>(0)
    /// The seven characters of 35 random bits drawn once, packed little-endian in one word (a
    /// global array would cost its lazy initialiser's check on every read).
    private static let prefix: UInt64 = {
        let bits = UInt64.random(in: 0..<(1 << 35))
        var word: UInt64 = 0
        for i in 0..<7 { word |= UInt64(symbol(bits >> UInt64(5 * (6 - i)))) << UInt64(8 * i) }
        return word
    }()

    /// The next serial number.
    static func next() -> UInt64 {
        counter.wrappingAdd(1, ordering: .relaxed).newValue
    }

    /// The 15 characters of `serial`'s id, as a string (fifteen fit inline: no allocation).
    static func render(_ serial: UInt64) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(15)
        append(serial, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The 15 characters of `serial`'s id, appended in one copy.
    static func append(_ serial: UInt64, to bytes: inout [UInt8]) {
        // The prefix's seven characters and the counter's eight, in two adjacent words.
        var words = (prefix | UInt64(symbol(serial >> 35)) << 56, UInt64(0))
        for i in 0..<7 { words.1 |= UInt64(symbol(serial >> UInt64(5 * (6 - i)))) << UInt64(8 * i) }
        withUnsafeBytes(of: &words) { raw in
            guard let base = raw.baseAddress else { return }
            bytes.append(contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: 15))
        }
    }

    /// The base-32 character of the low five bits of `value`: `0-9`, then `a-v`.
    private static func symbol(_ value: UInt64) -> UInt8 {
        let alphabet: StaticString = "0123456789abcdefghijklmnopqrstuv"
        return alphabet.utf8Start[Int(truncatingIfNeeded: value & 31)]
    }
}
