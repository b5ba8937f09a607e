package import Synchronization

/// Counters of one loaded version, updated by whoever runs its inferences (event loops and
/// workers, concurrently) and read by the scheduler and, later, by statistics and metrics.
/// Relaxed atomics: each value is exact on its own; no cross-counter snapshot is promised.
package final class VersionStats: Sendable {
    private let costPerRow = Atomic<Int>(0)
    package let runs = Atomic<Int>(0)

    package init() {}

    /// Moving average of nanoseconds per row (0 until the first run).
    package var nanosPerRow: Int { costPerRow.load(ordering: .relaxed) }

    /// Records one run of `rows` rows that took `nanos`. The average weighs the newest run 1/8,
    /// so one slow outlier (a page fault, a preempted thread) does not move work off the loop.
    package func recordRun(rows: Int, nanos: Int) {
        runs.add(1, ordering: .relaxed)
        let sample = nanos / max(rows, 1)
        let old = costPerRow.load(ordering: .relaxed)
        costPerRow.store(old == 0 ? sample : old + (sample - old) / 8, ordering: .relaxed)
    }
}
