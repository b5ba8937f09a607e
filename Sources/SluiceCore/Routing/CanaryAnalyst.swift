/// Where a fleet canary's figures come from: Prometheus in the server (`PrometheusAnalyst`), a
/// fake in the tests.
///
/// Called by the canary driver's thread through `Routes.judgeBoundaries(by:)`, one boundary at a
/// time and never under the routes' lock, so it may block on the network (each query is bounded
/// by the analysis' `timeout`). A failure holds the canary where it is: nothing is decided
/// without figures.
package protocol CanaryAnalyst: Sendable {
    func figures(for query: BoundaryQuery) throws(AnalysisError) -> BoundaryFigures
}

/// One boundary to judge: the candidate's figures over `[windowStart, boundary]`, evaluated at
/// `boundary`.
package struct BoundaryQuery: Sendable, Equatable {
    package var route: String
    package var candidate: Int
    package var analysis: CanaryAnalysis
    /// When the current step began (seconds since 1970).
    package var windowStart: Double
    /// The boundary judged (seconds since 1970); the queries' `time=`.
    package var boundary: Double

    package init(route: String, candidate: Int, analysis: CanaryAnalysis, windowStart: Double, boundary: Double) {
        self.route = route
        self.candidate = candidate
        self.analysis = analysis
        self.windowStart = windowStart
        self.boundary = boundary
    }

    /// The window's length in whole seconds (a step's boundaries are whole intervals apart, and
    /// a fleet canary's interval is whole seconds), at least 1.
    package var windowSeconds: Int {
        let w = (boundary - windowStart).rounded()
        return w.isFinite && w >= 1 ? Int(min(w, 1e12)) : 1
    }

    /// The four PromQL expressions over the series every replica exports (README "Fleet
    /// canaries"): the candidate's requests and non-2xx answers, and the candidate's and the
    /// other versions' p99 over the same window.
    package var promQL: (requests: String, errors: String, candidateP99: String, baselineP99: String) {
        let route = "route=\"\(Self.escaped(self.route))\""
        let extra = analysis.selector.map { ",\($0)" } ?? ""
        let window = "[\(windowSeconds)s]"
        let candidate = "\(route),version=\"\(self.candidate)\"\(extra)"
        let baseline = "\(route),version!=\"\(self.candidate)\"\(extra)"
        func p99(_ matchers: String) -> String {
            "histogram_quantile(0.99, sum by (le) (increase(sluice_request_duration_seconds_bucket{\(matchers)}\(window))))"
        }
        return (
            "sum(increase(sluice_requests_total{\(candidate)}\(window)))",
            "sum(increase(sluice_requests_total{\(candidate),code!~\"2..\"}\(window)))",
            p99(candidate),
            p99(baseline)
        )
    }

    /// A label value inside double quotes.
    static func escaped(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }
}

/// What one boundary's queries said.
package struct BoundaryFigures: Sendable, Equatable {
    /// The candidate's requests, errors and p99 over the window.
    package var candidate: ArmSample
    /// The other versions' p99 over the same window; nil without baseline traffic.
    package var baselineP99: Double?

    package init(candidate: ArmSample, baselineP99: Double?) {
        self.candidate = candidate
        self.baselineP99 = baselineP99
    }
}

/// Why a boundary could not be judged now (Prometheus unreachable, slow, answering an error or
/// something unreadable): the canary holds and the boundary is tried again on the next tick.
package struct AnalysisError: Error, Sendable, Equatable, CustomStringConvertible {
    package var description: String

    package init(_ description: String) {
        self.description = description
    }
}
