import Foundation
import Synchronization

/// A fixed set of worker threads for inferences too costly to run inline on an event loop.
///
/// `submit` is called from event loops and never blocks: when `maxQueue` jobs already wait it
/// returns false and the caller answers 503 with `Retry-After`. Jobs run in FIFO order; a job
/// posts its answer back to its loop itself (through `ResponseWriter`). The threads end when
/// the pool's last owner lets go of it; jobs still queued then are dropped.
final class WorkerPool: Sendable {
    private let jobs: Jobs
    let threadCount: Int
    /// Left by each thread as it ends (`stop` waits for them).
    private let ended = DispatchGroup()

    init(threads: Int, maxQueue: Int, name: String = "sluice-worker") {
        threadCount = max(1, threads)
        let jobs = Jobs(maxQueue: maxQueue)
        self.jobs = jobs
        for index in 0..<threadCount {
            // The threads hold the queue, not the pool: holding the pool would keep it, and the
            // server that owns it, for the life of the process (a test process starts hundreds),
            // and holding it weakly would give it a side table, making every retain of it (the
            // scheduler is copied per request) a slow one. `deinit` closes the queue instead.
            let ended = ended
            ended.enter()
            let thread = Thread {
                while let job = jobs.next() { job() }
                ended.leave()
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    deinit {
        jobs.close(waking: threadCount)
    }

    /// Shutdown: drops the jobs still waiting and waits, until `deadline`, for the running ones
    /// to end, so a process that exits next does not end in the middle of an inference (a
    /// request's tensors then seemed leaked to LeakSanitizer). Not from a worker thread.
    func stop(waitingUntil deadline: DispatchTime) {
        jobs.close(waking: threadCount)
        _ = ended.wait(timeout: deadline)
    }

    /// Queues `job`; false when the queue is full (the caller sheds the request).
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        jobs.submit(job)
    }

    /// Jobs waiting for a worker.
    var queued: Int { jobs.queued }
}

/// The pool's queue, shared by its threads: FIFO jobs, one semaphore signal per job (or per
/// thread to wake at close).
private final class Jobs: Sendable {
    private struct State {
        var waiting: [@Sendable () -> Void] = []
        var isClosed = false
    }
    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    private let maxQueue: Int

    init(maxQueue: Int) {
        self.maxQueue = maxQueue
    }

    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.isClosed, state.waiting.count < maxQueue else { return false }
            state.waiting.append(job)
            return true
        }
        if accepted { available.signal() }
        return accepted
    }

    var queued: Int { state.withLock { $0.waiting.count } }

    /// The next job, waiting for one; nil once the queue is closed (the thread then ends).
    func next() -> (@Sendable () -> Void)? {
        while true {
            available.wait()
            let (job, closed) = state.withLock { state in
                (state.waiting.isEmpty ? nil : state.waiting.removeFirst(), state.isClosed)
            }
            if closed { return nil }
            if let job { return job }
        }
    }

    /// Drops the waiting jobs (outside the lock: their captures may own anything) and wakes
    /// `threads` workers to end.
    func close(waking threads: Int) {
        let dropped = state.withLock { state in
            state.isClosed = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for _ in 0..<threads { available.signal() }
        withExtendedLifetime(dropped) {}
    }
}
