import Dispatch
import SluiceCore
import SluiceHTTP
import SluiceNet
import Synchronization

/// One version's request queue (README "Batching"): requests of a version whose `model.yaml`
/// sets `dynamic_batching` or `instances` wait here, at most `max_queue` of them, and run on the
/// worker pool at most `instances` backend calls at a time; with `dynamic_batching`, requests of
/// the same shape are merged into one call (`TensorBatch`) and each gets its own rows back. What
/// starts when is `BatchQueue`'s decision (pure, on its clock); this drives it with the monotonic
/// clock: after every arrival, every end of a batch, and at the time the queue asks to be looked
/// at again (a delay running out, a deadline passing), through one pending timer.
///
/// Attached to its `ServableVersion` at the first request and freed with it. Any thread.
final class Batcher: Sendable {
    /// A request waiting in the queue, with how to answer it.
    struct Waiting: Sendable {
        var request: InferenceRequest
        var arrived: UInt64
        /// Called once, on the thread that ran the batch (or that found it late), with the
        /// answer, the nanoseconds it waited and the nanoseconds its batch ran.
        var finish: @Sendable (Result<InferenceResponse, ServingError>, _ queuedNanos: Int, _ computeNanos: Int) -> Void
    }

    private struct State {
        var queue: BatchQueue<Waiting>
        /// When the pending timer fires; nil when none is pending.
        var timerAt: UInt64?
    }

    private let state: Mutex<State>
    private let pool: WorkerPool
    private let plane: DataPlane
    /// Whether answers leave in arrival order (`preserve_ordering`), through `order`.
    private let preservesOrder: Bool
    private let order = Mutex(ReleaseOrder<@Sendable () -> Void>())

    init(config: ModelConfig, pool: WorkerPool, plane: DataPlane) {
        let batching = config.isBatched ? config.dynamicBatching : nil
        let delay = UInt64(max(0, batching?.maxQueueDelayMicroseconds ?? 0)).multipliedReportingOverflow(by: 1_000)
        let settings = BatchQueue<Waiting>.Settings(
            maxBatchSize: batching == nil ? 1 : config.maxBatchSize ?? 1,
            maxQueueDelayNanos: delay.overflow ? UInt64.max : delay.partialValue,
            preferredBatchSizes: batching?.preferredBatchSizes ?? [],
            instances: config.instances ?? Int.max, maxQueue: config.queueCapacity, batching: batching != nil)
        state = Mutex(State(queue: BatchQueue(settings)))
        self.pool = pool
        self.plane = plane
        preservesOrder = batching?.preserveOrdering == true
    }

    /// Queues `request` for `servable` (this batcher's version) with the context's deadline;
    /// `finish` gets its answer. False when the queue is full (nothing is called then).
    func submit(
        _ request: InferenceRequest, on servable: ServableVersion, deadline: UInt64?,
        finish: @escaping @Sendable (Result<InferenceResponse, ServingError>, Int, Int) -> Void
    ) -> Bool {
        let now = MonotonicClock.now()
        var finish = finish
        var ticket: UInt64?
        if preservesOrder {
            // Answers wait for every earlier arrival's before they leave.
            let mine = order.withLock { $0.arrived() }
            ticket = mine
            let inner = finish
            finish = { [self] result, queued, compute in release(mine, { inner(result, queued, compute) }) }
        }
        let waiting = Waiting(request: request, arrived: now, finish: finish)
        let rows = TensorBatch.rows(of: request) ?? 0
        let admitted = state.withLock { $0.queue.enqueue(waiting, rows: rows, key: BatchKey(request), deadline: deadline, now: now) }
        guard admitted == .queued else {
            // Refused: its ticket must not hold back the answers after it.
            if let ticket { release(ticket, {}) }
            return false
        }
        drive(servable)
        return true
    }

    /// Hands `answer` to the arrival order; sends every answer that may now leave.
    private func release(_ ticket: UInt64, _ answer: @escaping @Sendable () -> Void) {
        let ready = order.withLock { $0.done(ticket, answer) }
        for send in ready { send() }
    }

    /// Requests waiting now.
    var waiting: Int { state.withLock { $0.queue.waiting } }

    /// Starts what the queue says may start, answers what expired, and arms the timer for the
    /// queue's next look.
    private func drive(_ servable: ServableVersion) {
        let now = MonotonicClock.now()
        let (step, arm) = state.withLock { state -> (BatchQueue<Waiting>.Step, UInt64?) in
            let step = state.queue.step(now: now)
            guard let wake = step.wakeAt, state.timerAt.map({ wake < $0 }) ?? true else { return (step, nil) }
            state.timerAt = wake
            return (step, wake)
        }
        for late in step.expired {
            late.finish(.failure(.deadlineExceeded("the deadline passed while the request waited in the queue")), Int(clamping: now &- late.arrived), 0)
        }
        for batch in step.start {
            let started = pool.submit { [self] in run(batch, on: servable) }
            if !started {
                // The pool is shutting down: nothing will run them.
                for item in batch.items { item.finish(.failure(.unavailable("the server is shutting down")), 0, 0) }
                state.withLock { $0.queue.finished(batch.id) }
            }
        }
        if let arm {
            let delay = arm > now ? arm - now : 0
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: delay))) { [self] in
                state.withLock { if $0.timerAt == arm { $0.timerAt = nil } }
                drive(servable)
            }
        }
    }

    /// Runs one batch on a worker: joins the inputs, one backend call, cuts the outputs, records
    /// the call once, answers each request; a failure fails every request of the batch (and
    /// only those) with its error.
    private func run(_ batch: BatchQueue<Waiting>.Batch, on servable: ServableVersion) {
        let start = MonotonicClock.now()
        let rows = batch.rows.reduce(0, &+)
        var computeNanos = 0
        var inputNanos = 0
        var outputNanos = 0
        let parts: Result<[[Tensor]], ServingError>
        do throws(ServingError) {
            let inputs = batch.items.count == 1 ? batch.items[0].request.inputs : try TensorBatch.concat(batch.items.map(\.request))
            let computing = MonotonicClock.now()
            inputNanos = Int(clamping: computing &- start)
            let outputs: [Tensor]
            do throws(ServingError) {
                outputs = try plane.compute(inputs, on: servable)
            } catch {
                computeNanos = Int(clamping: MonotonicClock.now() &- computing)
                throw error
            }
            let splitting = MonotonicClock.now()
            computeNanos = Int(clamping: splitting &- computing)
            parts = .success(batch.items.count == 1 ? [outputs] : try TensorBatch.split(outputs, rows: batch.rows))
            outputNanos = Int(clamping: MonotonicClock.now() &- splitting)
        } catch {
            parts = .failure(error)
        }
        let oldest = batch.items.first.map { Int(clamping: start &- $0.arrived) } ?? 0
        plane.recordExecution(servable, rows: rows, nanos: computeNanos, queuedNanos: oldest, inputNanos: inputNanos, outputNanos: outputNanos)
        for (k, item) in batch.items.enumerated() {
            let queued = Int(clamping: start &- item.arrived)
            switch parts {
            case .success(let outputs):
                let answer = InferenceResponse(modelName: servable.modelName, modelVersion: servable.version, id: item.request.id, outputs: outputs[k])
                item.finish(.success(answer), queued, computeNanos)
            case .failure(let error):
                item.finish(.failure(error), queued, computeNanos)
            }
        }
        state.withLock { $0.queue.finished(batch.id) }
        drive(servable)
    }
}
