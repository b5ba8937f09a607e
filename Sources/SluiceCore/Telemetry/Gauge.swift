import Synchronization

/// One gauge series: a value that goes up and down (in-flight requests, a route's weight).
///
/// Resolved once by `MetricFamily.handle(labels:)`; set or moved by any thread. The value is a
/// `Double` kept as its bit pattern in one atomic word: `set` is a relaxed store, `add` a relaxed
/// compare-and-swap loop (one iteration when uncontended). No lock.
package final class Gauge: Sendable {
    /// `a="x",b="y"`, rendered once here so a scrape only copies bytes.
    let labels: [UInt8]
    private let bits = Atomic<UInt64>(0.0.bitPattern)

    init(labels: [UInt8]) {
        self.labels = labels
    }

    /// Replaces the value.
    package func set(_ value: Double) {
        bits.store(value.bitPattern, ordering: .relaxed)
    }

    /// Adds `delta` (negative to subtract).
    package func add(_ delta: Double) {
        var old = bits.load(ordering: .relaxed)
        while true {
            let new = (Double(bitPattern: old) + delta).bitPattern
            let (exchanged, current) = bits.weakCompareExchange(
                expected: old, desired: new, successOrdering: .relaxed, failureOrdering: .relaxed)
            if exchanged { return }
            old = current
        }
    }

    /// Adds one (a request starts).
    package func increment() { add(1) }

    /// Subtracts one (a request ends).
    package func decrement() { add(-1) }

    /// The current value.
    package var value: Double {
        Double(bitPattern: bits.load(ordering: .relaxed))
    }

    func write(to writer: inout ExpositionWriter, name: FamilyName) {
        writer.sampleStart(name: name.sample, labels: labels)
        writer.value(value)
    }
}
