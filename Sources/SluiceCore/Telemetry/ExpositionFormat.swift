/// The two text formats `/metrics` can answer: Prometheus text 0.0.4, which every scraper reads,
/// and OpenMetrics 1.0, which Prometheus asks for first in its `Accept` header.
///
/// The `/metrics` handler calls `negotiate(accept:)` once per scrape, passes the result to
/// `MetricsRegistry.render(format:)` and answers with `contentType`. Pure; any thread.
package enum ExpositionFormat: Sendable, Hashable, CaseIterable {
    case prometheus
    case openMetrics

    /// The `Content-Type` of a body rendered in this format.
    package var contentType: String {
        switch self {
        case .prometheus: Self.prometheusContentType
        case .openMetrics: Self.openMetricsContentType
        }
    }

    /// Prometheus text exposition 0.0.4.
    package static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"
    /// OpenMetrics 1.0.0 text.
    package static let openMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"

    /// The format a scraper's `Accept` header asks for: OpenMetrics when it lists
    /// `application/openmetrics-text` with a non-zero quality at least as high as any
    /// `text/plain` it also lists; Prometheus text otherwise (no header, `*/*`, anything else).
    ///
    /// Prometheus 2.x and 3.x send `application/openmetrics-text;version=1.0.0,…;q=0.75,
    /// text/plain;version=0.0.4;q=0.5,*/*;q=0.1`; the quality comparison lets a scraper that
    /// prefers plain text (`text/plain, application/openmetrics-text;q=0.5`) keep it. The
    /// `version` parameter is not checked: the 0.0.1 and 1.0.0 OpenMetrics texts are the same
    /// for everything we write, so we answer 1.0.0 to both.
    package static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept else { return .prometheus }
        var openMetricsQuality = 0.0
        var textQuality = 0.0
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";")
            guard let first = parts.first else { continue }
            let mediaType = first.trimmingSpaces.lowercased()
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0].trimmingSpaces.lowercased() == "q" {
                    quality = Double(pair[1].trimmingSpaces) ?? 0
                }
            }
            switch mediaType {
            case "application/openmetrics-text": openMetricsQuality = max(openMetricsQuality, quality)
            case "text/plain": textQuality = max(textQuality, quality)
            default: break
            }
        }
        return openMetricsQuality > 0 && openMetricsQuality >= textQuality ? .openMetrics : .prometheus
    }
}

extension Substring {
    /// Without the spaces and tabs HTTP allows around list items and parameters (RFC 9110 OWS).
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
