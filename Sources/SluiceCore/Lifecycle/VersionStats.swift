package import Synchronization

/// Counters of one loaded version, updated by whoever runs its inferences (event loops and
/// workers, concurrently) and read by the scheduler and, later, by statistics and metrics.
/// Relaxed atomics: each value is exact on its own; no cross-counter snapshot is promised.
package final class VersionStats: Sendable {
    private let costPerRow = Atomic<Int>(0)
    private let inFlight = Atomic<Int>(0)
    package let runs = Atomic<Int>(0)

    package init() {}

    /// Moving average of nanoseconds per row (0 until the first run).
    package var nanosPerRow: Int { costPerRow.load(ordering: .relaxed) }

    /// Requests running on this version now. The model manager keeps an unloading version
    /// listed as `.unloading` until this is zero; memory is released by reference counting
    /// either way, so a miscount only delays what metadata says.
    package var inFlightRequests: Int { inFlight.load(ordering: .relaxed) }

    /// Called by the server when a request starts running on this version, on whatever thread
    /// handles it; pair each call with exactly one `requestFinished()`.
    package func requestStarted() { inFlight.add(1, ordering: .relaxed) }

    /// Called by the server when a request that called `requestStarted()` is answered or failed.
    package func requestFinished() { inFlight.subtract(1, ordering: .relaxed) }

    /// Records one run of `rows` rows that took `nanos`. The average weighs the newest run 1/8,
    /// so one slow outlier (a page fault, a preempted thread) does not move work off the loop.
    package func recordRun(rows: Int, nanos: Int) {
        runs.add(1, ordering: .relaxed)
        let sample = nanos / max(rows, 1)
        let old = costPerRow.load(ordering: .relaxed)
        costPerRow.store(old == 0 ? sample : old + (sample - old) / 8, ordering: .relaxed)
    }
}
