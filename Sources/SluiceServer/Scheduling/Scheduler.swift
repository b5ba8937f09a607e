import SluiceCore
import SluiceHTTP
import SluiceNet

/// Decides where an inference runs: inline on the connection's event loop when it is cheap,
/// on the worker pool when it is not (README "Where inference runs").
///
/// The estimate is rows × the version's measured cost per row (`VersionStats`, a moving
/// average updated after every run). A version not yet measured runs inline once: its warm-up
/// already ran it, and one batch is bounded by `max_batch_size`. Called on event loops only.
struct Scheduler: Sendable {
    let pool: WorkerPool
    /// Estimated nanoseconds above which a request goes to the pool.
    let inlineBudgetNanos: Int

    /// Runs `job` inline or on the pool and sends its response through `writer`; `job` receives
    /// the nanoseconds it waited for a worker (0 inline). When the pool's queue is full the
    /// request is shed with 503 and `Retry-After` instead of waiting unbounded.
    func run(on servable: ServableVersion, rows: Int, writer: ResponseWriter, _ job: @escaping @Sendable (_ queuedNanos: Int) -> Response) {
        let estimate = servable.stats.nanosPerRow.multipliedReportingOverflow(by: max(rows, 1))
        if !estimate.overflow && estimate.partialValue <= inlineBudgetNanos {
            writer.send(job(0))
            return
        }
        let enqueued = MonotonicClock.now()
        let accepted = pool.submit { writer.send(job(Int(clamping: MonotonicClock.now() &- enqueued))) }
        if !accepted {
            var headers = Headers()
            headers.add("retry-after", "1")
            writer.send(.error(503, "server overloaded: \(pool.queued) requests are waiting for a worker; retry later", headers: headers))
        }
    }
}
