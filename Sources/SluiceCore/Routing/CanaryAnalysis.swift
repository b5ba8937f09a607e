/// A fleet canary's schedule and source (README "Fleet canaries"): `canary.start`,
/// `canary.state` and `canary.analysis` of a route in `routes.yaml`. With it, every replica
/// derives the same steps from the same boundaries (`start + k × interval`) and the same figures
/// (Prometheus instant queries evaluated at each boundary), so they decide alike without talking
/// to each other. Parsed with the route; immutable.
package struct CanaryAnalysis: Sendable, Equatable {
    /// `analysis.prometheus`: where the queries go.
    package var prometheus: PrometheusURL
    /// `analysis.selector`: label matchers added to every query (`namespace="prod",job="sluice"`).
    package var selector: String?
    /// `analysis.scrape_delay`: seconds after a boundary before it is judged, so every replica's
    /// last scrape before it has landed. Default 30.
    package var scrapeDelay: Double
    /// `analysis.timeout`: connect and read timeout of each query, in seconds. Default 2.
    package var timeout: Double
    /// `canary.start`: when the first step began, seconds since 1970.
    package var start: Double
    /// `canary.state`: the operator's word. `progressing` lets the boundaries decide; `paused`
    /// serves the split as written; `promoted` and `rolled_back` set the candidate to 100 % or 0 %.
    package var state: CanaryController.State

    package static let defaultScrapeDelay = 30.0
    package static let defaultTimeout = 2.0
    /// Longest `timeout` accepted: the driver thread waits for each query.
    package static let maxTimeout = 60.0
    /// Longest `scrape_delay` accepted.
    package static let maxScrapeDelay = 3600.0

    package init(
        prometheus: PrometheusURL, selector: String? = nil, scrapeDelay: Double = Self.defaultScrapeDelay,
        timeout: Double = Self.defaultTimeout, start: Double, state: CanaryController.State = .progressing
    ) {
        self.prometheus = prometheus
        self.selector = selector
        self.scrapeDelay = scrapeDelay
        self.timeout = timeout
        self.start = start
        self.state = state
    }
}

/// `http://host[:port][/prefix]`: a Prometheus server's base URL. Plain HTTP only (the
/// in-cluster Service; TLS would need a client certificate story the issue leaves out); a path
/// prefix (Prometheus' `--web.route-prefix`, a proxy's path) is kept in front of `/api/v1/query`.
package struct PrometheusURL: Sendable, Equatable, CustomStringConvertible {
    /// A name or an address; an IPv6 address without its brackets.
    package var host: String
    package var port: Int
    /// `""` or `/prefix` (no trailing slash).
    package var path: String

    /// Parses `text`, or throws the reason it is refused.
    package init(parsing text: String) throws(Refusal) {
        if text.lowercased().hasPrefix("https://") {
            throw Refusal(description: "https is not supported: Sluice's Prometheus client speaks plain http (use the in-cluster http:// Service, or a local proxy that adds TLS)")
        }
        guard text.lowercased().hasPrefix("http://") else { throw Refusal(description: "must be an http:// URL") }
        var rest = Substring(text.dropFirst(7))
        // Printable ASCII only: the path goes into the request line as it is written.
        guard rest.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw Refusal(description: "must be printable ASCII without spaces or control characters")
        }
        guard !rest.contains(where: { $0 == "?" || $0 == "#" || $0 == " " || $0 == "@" }) else {
            throw Refusal(description: "must be http://host[:port][/path] without user, query or fragment")
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        rest = rest[slash...]
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        var host: Substring
        var port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw Refusal(description: "has an unclosed [ in its host") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw Refusal(description: "must be http://host[:port][/path]") }
                port = after.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw Refusal(description: "needs a host") }
        let portNumber: Int
        if let port {
            guard let n = Int(port), port.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), (1...65535).contains(n) else {
                throw Refusal(description: "has port '\(port)', not 1-65535")
            }
            portNumber = n
        } else {
            portNumber = 80
        }
        self.host = String(host)
        self.port = portNumber
        self.path = String(rest)
    }

    package init(host: String, port: Int, path: String = "") {
        self.host = host
        self.port = port
        self.path = path
    }

    package var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "http://\(h):\(port)\(path)"
    }

    /// The request target of an instant query: `<prefix>/api/v1/query?query=…&time=…`.
    package func queryTarget(_ promQL: String, time: Double) -> String {
        "\(path)/api/v1/query?query=\(Self.percentEncoded(promQL))&time=\(RouteConfig.number(time))"
    }

    /// Every byte but RFC 3986's unreserved ones as `%XX`.
    static func percentEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for c in text.utf8 {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(c)
            default:
                out += [UInt8(ascii: "%"), hex[Int(c >> 4)], hex[Int(c & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Why a URL was refused.
    package struct Refusal: Error, Sendable, CustomStringConvertible {
        package var description: String
    }
}
