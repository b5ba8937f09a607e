import Foundation
import Synchronization

/// A fixed set of worker threads for inferences too costly to run inline on an event loop.
///
/// `submit` is called from event loops and never blocks: when `maxQueue` jobs already wait it
/// returns false and the caller answers 503 with `Retry-After`. Jobs run in FIFO order; a job
/// posts its answer back to its loop itself (through `ResponseWriter`). The threads end when
/// the pool's last owner lets go of it; jobs still queued then are dropped.
final class WorkerPool: Sendable {
    private let queue = Mutex<[@Sendable () -> Void]>([])
    private let available = DispatchSemaphore(value: 0)
    private let maxQueue: Int
    let threadCount: Int

    init(threads: Int, maxQueue: Int, name: String = "sluice-worker") {
        threadCount = max(1, threads)
        self.maxQueue = maxQueue
        let available = available
        for index in 0..<threadCount {
            // A waiting worker holds the pool only weakly: the threads would otherwise keep every
            // pool, and the server that owns it, for the life of the process (a test process
            // starts hundreds). `deinit` wakes each one to find the pool gone.
            let thread = Thread { [weak self] in
                while true {
                    available.wait()
                    guard let pool = self else { return }
                    pool.runNext()
                }
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    deinit {
        for _ in 0..<threadCount { available.signal() }
    }

    /// Queues `job`; false when the queue is full (the caller sheds the request).
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        let accepted = queue.withLock { jobs -> Bool in
            guard jobs.count < maxQueue else { return false }
            jobs.append(job)
            return true
        }
        if accepted { available.signal() }
        return accepted
    }

    /// Jobs waiting for a worker.
    var queued: Int { queue.withLock { $0.count } }

    /// Runs the oldest job, if any: one per `available` signal.
    private func runNext() {
        let job = queue.withLock { jobs in jobs.isEmpty ? nil : jobs.removeFirst() }
        job?()
    }
}
