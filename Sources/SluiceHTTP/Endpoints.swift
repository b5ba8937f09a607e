/// Path dispatch: `(method, pattern)` → handler, where a pattern is `/`-separated segments and
/// `{name}` captures one segment. Built once at start-up; `dispatch` is called on event loops
/// for every request, so it walks the path's bytes in place: segment bounds go to a stack
/// buffer, literals compare as bytes, and the only allocation is the captured parameters of the
/// endpoint that answers.
///
/// Empty segments are skipped (`//v2/` is `/v2`). Literals compare byte for byte, which is
/// what the parser's targets are (printable ASCII). A path that matches with another method
/// answers 405 with `Allow`; no match answers 404. HEAD is served by the GET handler (the
/// connection drops the body).
///
/// `dispatch` is the error boundary of every handler: what a handler throws is answered through
/// the one error contract (`Response(error:)`); a handler that answers later, from a worker or
/// a background queue, calls `ResponseWriter.fail` with its error, which renders the same way.
package struct Endpoints: Sendable {
    package typealias Handler = @Sendable (Request, Parameters, ResponseWriter) throws -> Void

    /// Captured segments, looked up by name.
    package struct Parameters: Sendable {
        /// The first two captures inline (no pattern here has more): no array per request.
        private var first: (name: String, value: Substring)?
        private var second: (name: String, value: Substring)?
        private var more: [(name: String, value: Substring)] = []

        /// The captures in path order.
        package var values: [(name: String, value: Substring)] {
            [first, second].compactMap { $0 } + more
        }

        mutating func append(_ name: String, _ value: Substring) {
            if first == nil {
                first = (name, value)
            } else if second == nil {
                second = (name, value)
            } else {
                more.append((name, value))
            }
        }

        package subscript(name: String) -> Substring? {
            if let first, first.name == name { return first.value }
            if let second, second.name == name { return second.value }
            for entry in more where entry.name == name { return entry.value }
            return nil
        }
    }

    private enum Segment: Sendable {
        case literal([UInt8])
        case capture(String)
        /// `{name}:verb`: captures the part before a literal suffix (TF-Serving's `m:predict`).
        case captureWithSuffix(String, [UInt8])
    }

    private struct Entry: Sendable {
        var method: String
        /// As registered, for the request context (`RequestContext.endpoint`).
        var pattern: String
        var segments: [Segment]
        var captures: Int
        var handler: Handler
    }

    /// What a method and path resolve to; `dispatch` acts on it, tests inspect it.
    enum Resolution {
        /// `entry` is the matched entry's index, for its pattern.
        case found(Handler, Parameters, entry: Int)
        /// The path exists with other methods (the `Allow` list, in table order).
        case notAllowed([String])
        case notFound
    }

    private var entries: [Entry] = []
    /// The most segments any pattern has: longer paths match nothing, and the stack buffer of
    /// segment bounds never needs more room.
    private var maxSegments = 0

    package init() {}

    /// Adds a route for `method` (upper case) and `pattern`, e.g. `/v2/models/{model}/infer`.
    package mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        let segments: [Segment] = pattern.split(separator: "/").map { part in
            if part.hasPrefix("{"), let close = part.firstIndex(of: "}") {
                let name = String(part[part.index(after: part.startIndex)..<close])
                let rest = part[part.index(after: close)...]
                return rest.isEmpty ? .capture(name) : .captureWithSuffix(name, Array(rest.utf8))
            }
            return .literal(Array(part.utf8))
        }
        let captures = segments.count(where: { if case .literal = $0 { false } else { true } })
        entries.append(Entry(method: method, pattern: pattern, segments: segments, captures: captures, handler: handler))
        maxSegments = max(maxSegments, segments.count)
    }

    /// Finds the handler for `request` and calls it, or answers 404/405; answers what the
    /// handler throws. On the request's loop.
    package func dispatch(_ request: Request, writer: ResponseWriter) {
        switch resolve(method: request.method, path: request.path) {
        case .found(let handler, let parameters, let entry):
            writer.context.endpoint = entries[entry].pattern
            do {
                try handler(request, parameters, writer)
            } catch {
                writer.fail(error)
            }
        case .notFound:
            writer.fail(HTTPError.notFound(path: String(request.path)))
        case .notAllowed(let allowed):
            writer.fail(HTTPError.methodNotAllowed(method: request.method, path: String(request.path), allowed: allowed))
        }
    }

    /// The endpoint for `method` (HEAD as GET) on `path`, without calling it.
    func resolve(method: String, path: Substring) -> Resolution {
        let method = method == "HEAD" ? "GET" : method
        if let found = path.utf8.withContiguousStorageIfAvailable({ resolve(method: method, path: path, bytes: $0) }) {
            return found
        }
        let copy = Array(path.utf8)
        return copy.withUnsafeBufferPointer { resolve(method: method, path: path, bytes: $0) }
    }

    /// `bytes` are `path`'s UTF-8; segment bounds are offsets into both.
    private func resolve(method: String, path: Substring, bytes: UnsafeBufferPointer<UInt8>) -> Resolution {
        withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: maxSegments + 1) { bounds in
            var count = 0
            var i = 0
            while i < bytes.count {
                if bytes[i] == slash { i += 1; continue }
                var j = i + 1
                while j < bytes.count && bytes[j] != slash { j += 1 }
                // More segments than any pattern has: nothing can match, not even for `Allow`.
                if count == maxSegments { return .notFound }
                bounds.initializeElement(at: count, to: i..<j)
                count += 1
                i = j
            }
            let parts = UnsafeBufferPointer(rebasing: bounds[0..<count])
            var allowed: [String] = []
            // Entries are read in place: a `for entry in entries` would copy each one it visits,
            // a retain and a release for every field of every entry, per request.
            return entries.withUnsafeBufferPointer { entries in
                for k in entries.indices where entries[k].segments.count == count && matches(entries[k].segments, bytes, parts) {
                    if entries[k].method == method {
                        let parameters = parameters(entries[k].segments, captures: entries[k].captures, path, parts)
                        return .found(entries[k].handler, parameters, entry: k)
                    }
                    if !allowed.contains(entries[k].method) { allowed.append(entries[k].method) }
                }
                return allowed.isEmpty ? .notFound : .notAllowed(allowed)
            }
        }
    }

    /// Compared last segment first: patterns that share a prefix (every gRPC method of a
    /// service, `/v2/models/{model}/…`) differ at the end, usually already in length.
    private func matches(_ segments: [Segment], _ bytes: UnsafeBufferPointer<UInt8>, _ parts: UnsafeBufferPointer<Range<Int>>) -> Bool {
        for k in segments.indices.reversed() {
            let part = parts[k]
            switch segments[k] {
            case .literal(let literal):
                guard literal.count == part.count, literal.withUnsafeBufferPointer({ equal($0, bytes, from: part.lowerBound) }) else { return false }
            case .capture:
                break
            case .captureWithSuffix(_, let suffix):
                guard part.count > suffix.count,
                      suffix.withUnsafeBufferPointer({ equal($0, bytes, from: part.upperBound - suffix.count) })
                else { return false }
            }
        }
        return true
    }

    /// The captures of a matched entry (its `segments`, `captures` of them), as substrings of `path`.
    private func parameters(
        _ segments: [Segment], captures: Int, _ path: Substring, _ parts: UnsafeBufferPointer<Range<Int>>
    ) -> Parameters {
        var parameters = Parameters()
        guard captures > 0 else { return parameters }
        let utf8 = path.utf8
        func slice(_ lower: Int, _ upper: Int) -> Substring {
            path[utf8.index(utf8.startIndex, offsetBy: lower)..<utf8.index(utf8.startIndex, offsetBy: upper)]
        }
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal:
                break
            case .capture(let name):
                parameters.append(name, slice(part.lowerBound, part.upperBound))
            case .captureWithSuffix(let name, let suffix):
                parameters.append(name, slice(part.lowerBound, part.upperBound - suffix.count))
            }
        }
        return parameters
    }
}

private let slash = UInt8(ascii: "/")

/// Whether `bytes[from...]` starts with `literal` (the caller checked the length).
private func equal(_ literal: UnsafeBufferPointer<UInt8>, _ bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Bool {
    for k in 0..<literal.count where literal[k] != bytes[from + k] { return false }
    return true
}
