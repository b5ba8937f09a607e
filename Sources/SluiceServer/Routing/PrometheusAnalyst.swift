import SluiceCore
import SluiceNet

/// A fleet canary's figures from Prometheus (README "Fleet canaries"): the four instant queries
/// of `BoundaryQuery.promQL`, each a `GET /api/v1/query?query=…&time=<boundary>` through
/// `HTTPClient` with the analysis' timeout, read by `PrometheusAnswer`.
///
/// Called by the canary driver's thread (through `Routes.judgeBoundaries`), which may block;
/// any failure (unreachable, slow, not 200, `status: error`, unreadable) is an `AnalysisError`
/// and the canary holds.
struct PrometheusAnalyst: CanaryAnalyst {
    /// Largest answer read; a scalar or one-series vector is a few hundred bytes.
    static let maxBody = 8 << 20

    func figures(for query: BoundaryQuery) throws(AnalysisError) -> BoundaryFigures {
        let q = query.promQL
        let requests = Self.count(try value(q.requests, query))
        let errors = min(requests, Self.count(try value(q.errors, query)))
        let candidateP99 = Self.latency(try value(q.candidateP99, query))
        // Requests without a latency means the duration series are missing (a selector or
        // relabelling that keeps one family and not the other): passing on the error rate alone
        // would be judging blind, so the boundary waits.
        if requests > 0, candidateP99 == nil {
            throw AnalysisError("\(requests) candidate requests but no p99 from sluice_request_duration_seconds_bucket: are the duration series scraped with the same labels?")
        }
        let baselineP99 = Self.latency(try value(q.baselineP99, query))
        return BoundaryFigures(candidate: ArmSample(requests: requests, errors: errors, p99: candidateP99), baselineP99: baselineP99)
    }

    /// `increase()` extrapolates, so counts come back fractional: rounded; an empty vector or
    /// NaN is none.
    static func count(_ value: Double?) -> Int {
        guard let value, value.isFinite, value > 0 else { return 0 }
        return Int(min(value.rounded(), 1e15))
    }

    /// A p99 in seconds; NaN (no observations) or a negative value is none, +Inf (above the
    /// last finite bucket) is the largest finite value, so a ratio with it fails.
    static func latency(_ value: Double?) -> Double? {
        guard let value, !value.isNaN, value >= 0 else { return nil }
        return value.isFinite ? value : .greatestFiniteMagnitude
    }

    private func value(_ promQL: String, _ query: BoundaryQuery) throws(AnalysisError) -> Double? {
        let url = query.analysis.prometheus
        let response: HTTPClient.Response
        do {
            response = try HTTPClient.get(
                host: url.host, port: url.port, target: url.queryTarget(promQL, time: query.boundary),
                timeout: query.analysis.timeout, maxBody: Self.maxBody)
        } catch {
            throw AnalysisError("\(error)")
        }
        guard response.status == 200 else {
            // Prometheus explains a 400, 422 or 503 in the same JSON shape.
            var detail = ""
            do throws(AnalysisError) { _ = try PrometheusAnswer.value(response.body) } catch { detail = ": \(error)" }
            throw AnalysisError("HTTP \(response.status) for \(promQL)\(detail)")
        }
        return try PrometheusAnswer.value(response.body)
    }
}
