/// Path dispatch: `(method, pattern)` → handler, where a pattern is `/`-separated segments and
/// `{name}` captures one segment. Built once at start-up; `dispatch` is called on event loops,
/// allocation-light: one split of the path and a scan over the table.
///
/// A path that matches with another method answers 405 with `Allow`; no match answers 404.
/// HEAD is served by the GET handler (the connection drops the body).
package struct Endpoints: Sendable {
    package typealias Handler = @Sendable (Request, Parameters, ResponseWriter) -> Void

    /// Captured segments, looked up by name.
    package struct Parameters: Sendable {
        package var values: [(name: String, value: Substring)] = []

        package subscript(name: String) -> Substring? {
            for entry in values where entry.name == name { return entry.value }
            return nil
        }
    }

    private enum Segment: Sendable {
        case literal(String)
        case capture(String)
        /// `{name}:verb`: captures the part before a literal suffix (TF-Serving's `m:predict`).
        case captureWithSuffix(String, String)
    }

    private struct Entry: Sendable {
        var method: String
        var segments: [Segment]
        var handler: Handler
    }

    private var entries: [Entry] = []

    package init() {}

    /// Adds a route for `method` (upper case) and `pattern`, e.g. `/v2/models/{model}/infer`.
    package mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        let segments: [Segment] = pattern.split(separator: "/").map { part in
            if part.hasPrefix("{"), let close = part.firstIndex(of: "}") {
                let name = String(part[part.index(after: part.startIndex)..<close])
                let rest = part[part.index(after: close)...]
                return rest.isEmpty ? .capture(name) : .captureWithSuffix(name, String(rest))
            }
            return .literal(String(part))
        }
        entries.append(Entry(method: method, segments: segments, handler: handler))
    }

    /// Finds the handler for `request` and calls it, or answers 404/405.
    package func dispatch(_ request: Request, writer: ResponseWriter) {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true)
        let method = request.method == "HEAD" ? "GET" : request.method
        var allowed: [String] = []
        for entry in entries {
            guard let parameters = match(entry.segments, parts) else { continue }
            if entry.method == method {
                entry.handler(request, parameters, writer)
                return
            }
            if !allowed.contains(entry.method) { allowed.append(entry.method) }
        }
        if allowed.isEmpty {
            writer.send(.error(404, "no endpoint \(request.path)"))
        } else {
            var headers = Headers()
            headers.add("allow", allowed.joined(separator: ", "))
            writer.send(.error(405, "\(request.method) is not allowed on \(request.path)", headers: headers))
        }
    }

    private func match(_ segments: [Segment], _ parts: [Substring]) -> Parameters? {
        guard segments.count == parts.count else { return nil }
        var parameters = Parameters()
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let literal):
                guard part == literal else { return nil }
            case .capture(let name):
                parameters.values.append((name, part))
            case .captureWithSuffix(let name, let suffix):
                guard part.hasSuffix(suffix), part.count > suffix.count else { return nil }
                parameters.values.append((name, part.dropLast(suffix.count)))
            }
        }
        return parameters
    }
}
