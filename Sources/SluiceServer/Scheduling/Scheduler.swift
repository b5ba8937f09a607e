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

    /// Whether a job of `rows` rows on `servable` is cheap enough to run inline, on the loop.
    func runsInline(on servable: ServableVersion, rows: Int) -> Bool {
        let estimate = servable.stats.nanosPerRow.multipliedReportingOverflow(by: max(rows, 1))
        return !estimate.overflow && estimate.partialValue <= inlineBudgetNanos
    }

    /// Runs `job` on the pool and sends its response through `writer`; `job` receives the
    /// nanoseconds it waited for a worker. When the pool's queue is full the request is shed
    /// with 503 and `Retry-After` instead of waiting unbounded. For a job `runsInline` turned
    /// down; the caller runs the others itself, so its inline path forms no escaping closure.
    func submit(writer: ResponseWriter, _ job: @escaping @Sendable (_ queuedNanos: Int) -> Response) {
        let enqueued = MonotonicClock.now()
        offload({ writer.send(job(Int(clamping: MonotonicClock.now() &- enqueued))) }, writer: writer)
    }

    /// Runs `job` on the pool, which answers through `writer`; sheds it with 503 and
    /// `Retry-After` when the queue is full. Also what the HTTP layer hands large requests to
    /// (`Offload`), so they wait in the same bounded queue as costly inferences.
    func offload(_ job: @escaping @Sendable () -> Void, writer: ResponseWriter) {
        if !pool.submit(job) { writer.fail(OverloadError.queueFull(waiting: pool.queued)) }
    }
}

/// Why a request was shed before it ran.
enum OverloadError: HTTPResponseError, Equatable {
    /// `scheduling.max_queue` requests already wait for a worker.
    case queueFull(waiting: Int)
    /// A version's own queue (`model.yaml`'s `max_queue`) is full.
    case modelQueueFull(model: String, version: Int, limit: Int)

    var status: Int {
        switch self {
        case .queueFull, .modelQueueFull: 503
        }
    }

    var message: String {
        switch self {
        case .queueFull(let waiting): "server overloaded: \(waiting) requests are waiting for a worker; retry later"
        case .modelQueueFull(let model, let version, let limit):
            "model '\(model)' version \(version) is overloaded: its queue holds max_queue \(limit) requests; retry later"
        }
    }

    var headers: Headers { .retryAfterOneSecond }

    /// The server had no room for it: gRPC's RESOURCE_EXHAUSTED, not UNAVAILABLE (which says the
    /// model cannot serve at all).
    var code: ErrorCode { .resourceExhausted }
}
