import Foundation
package import SluiceCore
import Synchronization

/// The helper threads that run slices of costly requests of versions with
/// `threads_per_inference` above 1 (README "Where inference runs"), beside the thread that runs
/// the request: one per core but one, shared by every version, started at the first sliced
/// request (a server whose models all keep the default of 1 starts none).
///
/// `run` is called by `DataPlane` for every backend call, on the thread that runs it (worker or
/// loop). It decides whether to slice: the version allows more than one thread, the inputs share
/// at least 2 rows, and the call is costly by the scheduler's own measure (its estimate exceeds
/// `scheduling.inline_budget_us`, or the version has not been measured yet), so a call cheaper
/// than two hand-offs between threads runs whole.
package final class IntraOpPool: Sendable {
    private let helpers: Int
    /// Estimated nanoseconds above which a call is sliced (`Scheduler.inlineBudgetNanos`).
    private let sliceAboveNanos: Int
    /// The helpers once started; `stopped` after `stop`, when slices run on their callers.
    private let pool = Mutex<(workers: WorkerPool?, stopped: Bool)>((nil, false))
    private let sliced = Atomic<Int>(0)

    /// `helpers` threads (at least 1) at most, started at the first sliced call.
    package init(sliceAboveNanos: Int, helpers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)) {
        self.sliceAboveNanos = sliceAboveNanos
        self.helpers = max(1, helpers)
    }

    /// `servable.backend.infer(inputs)`, sliced when that pays (above). Throws what the backend
    /// throws (the first failing slice's error).
    func run(_ inputs: [Tensor], on servable: ServableVersion) throws(ServingError) -> [Tensor] {
        let threads = servable.threadsPerInference
        let backend = servable.backend
        guard threads > 1, let rows = TensorBatch.rows(of: inputs), rows >= 2, isCostly(servable, rows: rows) else {
            return try backend.infer(inputs)
        }
        return try infer(inputs, slices: threads, on: backend)
    }

    /// `backend.infer(inputs)` as up to `slices` slices of rows run at once, whatever it costs
    /// (`run` decides when to; sluice-micro's `backend-speed … THREADS` times this). Inputs that
    /// do not share at least 2 rows run whole.
    package func infer(_ inputs: [Tensor], slices: Int, on backend: any Backend) throws(ServingError) -> [Tensor] {
        guard slices > 1, let rows = TensorBatch.rows(of: inputs), rows >= 2 else { return try backend.infer(inputs) }
        sliced.add(1, ordering: .relaxed)
        return try SlicedInference.run(inputs, rows: rows, slices: slices, helpers: submit) { slice throws(ServingError) in
            try backend.infer(slice)
        }
    }

    /// Backend calls run as slices so far (what tests see of the decision above).
    var slicedCalls: Int { sliced.load(ordering: .relaxed) }

    /// Whether a call of `rows` rows is worth slicing: not yet measured, or estimated above the
    /// budget (the same estimate as `Scheduler.runsInline`).
    private func isCostly(_ servable: ServableVersion, rows: Int) -> Bool {
        let perRow = servable.stats.nanosPerRow
        guard perRow > 0 else { return true }
        let estimate = perRow.multipliedReportingOverflow(by: rows)
        return estimate.overflow || estimate.partialValue > sliceAboveNanos
    }

    /// Queues a slice's work on the helpers, starting them the first time; false when their
    /// queue is full (the caller runs that slice itself).
    private func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        let workers = pool.withLock { pool -> WorkerPool? in
            guard !pool.stopped else { return nil }
            if let workers = pool.workers { return workers }
            let started = WorkerPool(threads: helpers, maxQueue: 1024, name: "sluice-intraop")
            pool.workers = started
            return started
        }
        return workers?.submit(job) ?? false
    }

    /// Ends the helpers (with the server): queued slices are dropped, which their callers then
    /// claim and run themselves, and later slices all run on their callers. Waits for running
    /// slices until `deadline`.
    func stop(waitingUntil deadline: DispatchTime) {
        let workers = pool.withLock { pool -> WorkerPool? in
            pool.stopped = true
            return pool.workers
        }
        workers?.stop(waitingUntil: deadline)
    }
}
