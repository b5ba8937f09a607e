import Synchronization

/// One histogram series: counts of observations per bucket, their sum and their count.
///
/// Resolved once by `MetricFamily.handle(labels:)`; observed by any thread per event (a request's
/// duration, a batch's size). `observe` is a binary search over the bounds, one relaxed atomic
/// add on that bucket's slot and a compare-and-swap on the sum: no lock, no allocation. Each
/// slot counts only its own bucket, so an observation touches one slot, and a scrape makes the
/// buckets cumulative and takes the count as their total (the `+Inf` bucket and `_count` always
/// agree, even when the scrape races observations).
package final class Histogram: @unchecked Sendable {
    // @unchecked: the two buffers are written only in `init` and `deinit`; between them `bounds`
    // is read-only and `slots` holds atomics, so sharing across threads is safe.

    /// `a="x",b="y"`, rendered once here so a scrape only copies bytes.
    let labels: [UInt8]
    let layout: HistogramLayout
    private let bucketCount: Int
    /// Upper bounds, ascending; copied out of `layout` so `observe` reads them without an
    /// array's retain and bounds check.
    private let bounds: UnsafeMutablePointer<Double>
    /// One slot per bound, plus the last for values above every bound (`+Inf`).
    private let slots: UnsafeMutablePointer<Atomic<UInt64>>
    private let sumBits = Atomic<UInt64>(0.0.bitPattern)

    init(labels: [UInt8], layout: HistogramLayout) {
        self.labels = labels
        self.layout = layout
        bucketCount = layout.bounds.count
        bounds = .allocate(capacity: max(bucketCount, 1))
        bounds.initialize(from: layout.bounds, count: bucketCount)
        slots = .allocate(capacity: bucketCount + 1)
        for i in 0...bucketCount { (slots + i).initialize(to: Atomic(0)) }
    }

    deinit {
        slots.deinitialize(count: bucketCount + 1)
        slots.deallocate()
        bounds.deinitialize(count: bucketCount)
        bounds.deallocate()
    }

    /// Records one observation. NaN lands in `+Inf` and makes the sum NaN, as in client_golang.
    package func observe(_ value: Double) {
        var low = 0
        var high = bucketCount
        while low < high {
            let mid = (low &+ high) &>> 1
            if value <= bounds[mid] { high = mid } else { low = mid &+ 1 }
        }
        slots[low].wrappingAdd(1, ordering: .relaxed)
        var old = sumBits.load(ordering: .relaxed)
        while true {
            let new = (Double(bitPattern: old) + value).bitPattern
            let (exchanged, current) = sumBits.weakCompareExchange(
                expected: old, desired: new, successOrdering: .relaxed, failureOrdering: .relaxed)
            if exchanged { return }
            old = current
        }
    }

    /// Records a duration in seconds (the unit every `_seconds` histogram is named in).
    package func observe(seconds: Double) {
        observe(seconds)
    }

    /// Records the time from `start` to now on the continuous clock.
    package func observe(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        observe(Double(seconds) + Double(attoseconds) * 1e-18)
    }

    /// Cumulative counts per bound, then the total (tests and statistics).
    package var cumulativeCounts: [UInt64] {
        var running: UInt64 = 0
        return (0...bucketCount).map { i in
            running &+= slots[i].load(ordering: .relaxed)
            return running
        }
    }

    /// The sum of every observation.
    package var sum: Double {
        Double(bitPattern: sumBits.load(ordering: .relaxed))
    }

    private static let infinity = Array("+Inf".utf8)

    func write(to writer: inout ExpositionWriter, name: FamilyName) {
        let counts = cumulativeCounts
        let bounds = layout.renderedBounds(for: writer.format)
        for i in 0..<bucketCount {
            writer.bucketStart(name: name.sample, labels: labels, le: bounds[i])
            writer.value(counts[i])
        }
        writer.bucketStart(name: name.sample, labels: labels, le: Self.infinity)
        writer.value(counts[bucketCount])
        writer.sampleStart(name: name.sample, suffix: "_sum", labels: labels)
        writer.value(sum)
        writer.sampleStart(name: name.sample, suffix: "_count", labels: labels)
        writer.value(counts[bucketCount])
    }
}
