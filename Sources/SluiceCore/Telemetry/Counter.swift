import Synchronization

/// One counter series: a family's name plus one set of label values.
///
/// Resolved once, by `MetricFamily.handle(labels:)`, when the thing it counts is set up (a
/// route arm, a version); kept and incremented per event by any thread. An increment is one
/// relaxed atomic add: no lock, no label lookup, no allocation. A scrape reads it with a relaxed
/// load, so it sees every increment that finished before it and maybe some in flight.
package final class Counter: Sendable {
    /// `a="x",b="y"`, rendered once here so a scrape only copies bytes.
    let labels: [UInt8]
    private let count = Atomic<UInt64>(0)

    init(labels: [UInt8]) {
        self.labels = labels
    }

    /// Adds one. Wraps at 2^64, which a scraper reads as a counter reset.
    package func increment() {
        increment(by: 1)
    }

    /// Adds `amount`.
    package func increment(by amount: UInt64) {
        count.wrappingAdd(amount, ordering: .relaxed)
    }

    /// The current total (tests, and statistics endpoints that share the count).
    package var value: UInt64 {
        count.load(ordering: .relaxed)
    }

    func write(to writer: inout ExpositionWriter, name: FamilyName) {
        writer.sampleStart(name: name.sample, labels: labels)
        writer.value(value)
    }
}
