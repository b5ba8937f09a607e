/// Bucket bounds for histograms, chosen when a family is registered (start-up, any thread).
package enum Buckets {
    /// Latency in seconds from 50 µs to 10 s in 1-2.5-5 steps: a 1-row tree model answers in
    /// tens of microseconds on the loop, a queued batch or a slow client takes seconds, and
    /// `histogram_quantile` needs a bound on each side of the p99 to interpolate. 17 bounds.
    package static let latency: [Double] = [
        0.000_05, 0.000_1, 0.000_25, 0.000_5,
        0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
        1, 2.5, 5, 10,
    ]

    /// Powers of two from 1 to 1024: batch sizes (`sluice_batch_size`), where the preferred
    /// sizes users configure are usually powers of two.
    package static let batchSize: [Double] = (0...10).map { Double(1 << $0) }

    /// `count` bounds starting at `start`, each `factor` times the one before (start > 0,
    /// factor > 1, count ≥ 1).
    package static func exponential(start: Double, factor: Double, count: Int) -> [Double] {
        var bound = start
        return (0..<count).map { _ in
            defer { bound *= factor }
            return bound
        }
    }
}
