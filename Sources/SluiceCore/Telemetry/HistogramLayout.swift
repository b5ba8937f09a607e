/// The bucket bounds of one histogram family and their `le` text in each format, rendered once
/// when the family is registered and shared by all its series.
final class HistogramLayout: Sendable {
    let bounds: [Double]
    private let prometheusBounds: [[UInt8]]
    private let openMetricsBounds: [[UInt8]]

    /// `bounds` must be finite, strictly increasing and non-empty (the registry checks).
    init(bounds: [Double]) {
        self.bounds = bounds
        prometheusBounds = bounds.map { ExpositionWriter.bound($0, format: .prometheus) }
        openMetricsBounds = bounds.map { ExpositionWriter.bound($0, format: .openMetrics) }
    }

    func renderedBounds(for format: ExpositionFormat) -> [[UInt8]] {
        format == .openMetrics ? openMetricsBounds : prometheusBounds
    }
}
