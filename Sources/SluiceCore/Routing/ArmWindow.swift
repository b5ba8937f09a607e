import Synchronization

/// What one arm did during the current canary step: requests judged, how many failed, and
/// their latency in a fixed histogram (so a step costs the same memory however long it runs).
///
/// Recorded per routed request by the thread that answered it (relaxed atomics, no lock);
/// read by the canary driver's thread when it ticks. A new step starts with a new window.
package final class ArmWindow: Sendable {
    private let latency: Histogram
    private let failures = Atomic<Int>(0)

    /// Upper bounds in seconds: 1 µs × 2^(i/4), i = 0…107 (1 µs to about 2 minutes), so a p99
    /// read from a bucket bound is within 19 % of the true one.
    static let layout = HistogramLayout(bounds: (0..<108).map { 1e-6 * pow2($0) })

    package init() {
        latency = Histogram(labels: [], layout: Self.layout)
    }

    /// Records one answered request: its whole duration and whether it counts as an error.
    package func record(seconds: Double, failed: Bool) {
        latency.observe(seconds)
        if failed { failures.add(1, ordering: .relaxed) }
    }

    /// The counts so far and the p99 (the upper bound of the bucket holding the 99th percentile).
    package var sample: ArmSample {
        let counts = latency.cumulativeCounts
        let total = Int(counts.last ?? 0)
        var p99: Double?
        if total > 0 {
            let rank = UInt64((Double(total) * 0.99).rounded(.up))
            let bounds = Self.layout.bounds
            if let i = counts.firstIndex(where: { $0 >= rank }) {
                p99 = i < bounds.count ? bounds[i] : (bounds.last ?? 1) * 2
            }
        }
        return ArmSample(requests: total, errors: failures.load(ordering: .relaxed), p99: p99)
    }

    private static func pow2(_ quarterSteps: Int) -> Double {
        var x = 1.0
        for _ in 0..<(quarterSteps / 4) { x *= 2 }
        let rest = [1.0, 1.189_207_115_002_721, 1.414_213_562_373_095, 1.681_792_830_507_429]
        return x * rest[quarterSteps % 4]
    }
}

/// One arm's figures for one canary step, as the controller judges them.
package struct ArmSample: Sendable, Equatable {
    package var requests: Int
    package var errors: Int
    /// Seconds; nil without requests.
    package var p99: Double?

    package init(requests: Int, errors: Int, p99: Double?) {
        self.requests = requests
        self.errors = errors
        self.p99 = p99
    }

    package var errorRate: Double { requests == 0 ? 0 : Double(errors) / Double(requests) }
}
