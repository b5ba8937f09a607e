import CLinux
import Glibc
import Synchronization

/// One thread running one epoll set: the home of every connection registered on it.
///
/// Loop-confined state (handlers, tick callbacks) is touched only on the loop's thread, which is
/// why the class is `@unchecked Sendable`; other threads reach it only through `execute(_:)`,
/// whose queue is a `Mutex` and whose wake-up is an eventfd. A timerfd fires `tick` callbacks
/// every `tickInterval` so connections can enforce their timeouts without a timer each.
///
/// The loop corks while it handles a batch (the events of one `epoll_wait`, the queued tasks, or
/// the work deferred to this iteration): connections hold what they write and the loop sends it
/// when the batch is done, or sooner once the oldest held write has waited `corkBudget` (checked
/// between two events, tasks or pieces of deferred work; the answers to one turn of a pipelined
/// burst go out together).
/// Answering a batch and then sending it wakes each client once, after the work, instead of
/// waking a client, which then preempts the loop, between every two answers: with wrk on the
/// same two cores this was worth 12-17 % more requests per second on a 1-row inference
/// (README "Performance").
package final class EventLoop: @unchecked Sendable {
    /// Small numbers: loop 0, 1, … of a group; used in logs and thread names.
    package let index: Int
    private let epfd: Int32
    private let wakeFD: Int32
    private let timerFD: Int32
    private var handlers: [Int32: any Selectable] = [:]
    private var interest: [Int32: UInt32] = [:]
    private var tickCallbacks: [(UInt64) -> Void] = []
    private var stopCallbacks: [() -> Void] = []
    /// Whether writes are held for the end of the batch (see the type's comment).
    package private(set) var isCorked = false
    /// Connections holding corked bytes, in the order they first wrote.
    private var corkedConnections: [Connection] = []
    /// The list being flushed by `uncork()` (swapped with `corkedConnections`, both keep room).
    private var flushing: [Connection] = []
    /// When the first of `corkedConnections` was corked.
    private var corkedSince: UInt64 = 0
    /// The longest a held write waits for the rest of its batch, in nanoseconds.
    private let corkBudget: UInt64
    /// Tasks from `executeSoon`; `isClosed` once `run()` has returned, after which tasks are
    /// dropped at once instead of kept for a turn that never comes (`finish()`).
    private let tasks = Mutex<(queue: [@Sendable () -> Void], isClosed: Bool)>(([], false))
    /// Work put off to the next iteration (`executeNextIteration`), and the batch being run.
    private var deferred: [() -> Void] = []
    private var runningDeferred: [() -> Void] = []
    /// Counts the loop's iterations (one `epoll_wait` each): a connection's budget of work is
    /// per iteration, and starts over when this moves on.
    package private(set) var iteration: UInt64 = 0
    private let stopping = Atomic<Bool>(false)
    private let threadID = Atomic<UInt>(0)

    /// - Parameters:
    ///   - tickInterval: how often tick callbacks run (default 250 ms): the resolution of every
    ///     connection timeout.
    ///   - corkBudget: the longest a corked write waits for the rest of its batch (default
    ///     200 µs, the inline inference budget's default: a batch of cheap answers goes out
    ///     together, and an answer never waits for more than about one costly neighbour).
    package init(index: Int, tickInterval: UInt64 = 250_000_000, corkBudget: UInt64 = 200_000) throws(SocketError) {
        self.index = index
        self.corkBudget = corkBudget
        epfd = try syscallNonBlocking("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        wakeFD = try syscallNonBlocking("eventfd") { eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC)) }
        timerFD = try syscallNonBlocking("timerfd_create") {
            timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK) | Int32(TFD_CLOEXEC))
        }
        var spec = itimerspec()
        spec.it_interval.tv_sec = Int(tickInterval / 1_000_000_000)
        spec.it_interval.tv_nsec = Int(tickInterval % 1_000_000_000)
        spec.it_value = spec.it_interval
        _ = try syscallNonBlocking("timerfd_settime") { timerfd_settime(timerFD, 0, &spec, nil) }
        try control(EPOLL_CTL_ADD, wakeFD, EPOLLIN.rawValue)
        try control(EPOLL_CTL_ADD, timerFD, EPOLLIN.rawValue)
    }

    deinit {
        close(epfd)
        close(wakeFD)
        close(timerFD)
    }

    /// Whether the caller runs on this loop's thread.
    package var inEventLoop: Bool { threadID.load(ordering: .relaxed) == UInt(bitPattern: Int(bitPattern: pthread_self())) }

    /// Runs `task` on the loop's thread: at once if already there, else after a wake-up.
    /// Callable from any thread; this is how worker threads hand results back.
    package func execute(_ task: @escaping @Sendable () -> Void) {
        if inEventLoop {
            task()
            return
        }
        executeSoon(task)
    }

    /// Runs `task` on the loop's thread after the current event, even when called there (to
    /// break a call chain that must not re-enter). Any thread. Once `run()` has returned the
    /// task is dropped unrun (`finish()`).
    package func executeSoon(_ task: @escaping @Sendable () -> Void) {
        let wasEmpty = tasks.withLock { tasks -> Bool in
            guard !tasks.isClosed else { return false }
            tasks.queue.append(task)
            return tasks.queue.count == 1
        }
        if wasEmpty { wake() }
    }

    /// Runs `work` on the next iteration of the loop, after its tasks and before it waits for
    /// events — which it then only polls for. Loop thread only. This is how a connection that
    /// spent its budget for this wake-up yields to the others with work left that epoll cannot
    /// see (bytes OpenSSL has decrypted, requests already read): unlike `executeSoon`, whose
    /// queue runs until it is empty, what is deferred here from deferred work waits for the
    /// iteration after, so the events of other connections are handled in between.
    package func executeNextIteration(_ work: @escaping () -> Void) {
        deferred.append(work)
    }

    /// Asks the loop to return from `run()` after the current iteration. Any thread.
    package func stop() {
        stopping.store(true, ordering: .releasing)
        wake()
    }

    /// Adds `handler` for read events. Loop thread only.
    package func register(_ handler: any Selectable) throws(SocketError) {
        try control(EPOLL_CTL_ADD, handler.fd, EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
        handlers[handler.fd] = handler
        interest[handler.fd] = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
    }

    /// Turns read and write interest on or off for a registered fd. Loop thread only.
    package func setInterest(_ handler: any Selectable, read: Bool, write: Bool) {
        var events: UInt32 = EPOLLRDHUP.rawValue
        if read { events |= EPOLLIN.rawValue }
        if write { events |= EPOLLOUT.rawValue }
        guard interest[handler.fd] != events, handlers[handler.fd] != nil else { return }
        interest[handler.fd] = events
        try? control(EPOLL_CTL_MOD, handler.fd, events)
    }

    /// Removes the fd from the loop (the caller closes it). Loop thread only.
    package func deregister(_ handler: any Selectable) {
        guard handlers.removeValue(forKey: handler.fd) != nil else { return }
        interest[handler.fd] = nil
        try? control(EPOLL_CTL_DEL, handler.fd, 0)
    }

    /// `connection` holds corked bytes: the loop calls its `flushCorked()` when the batch is
    /// done. Loop thread only.
    package func flushAfterBatch(_ connection: Connection) {
        if corkedConnections.isEmpty { corkedSince = MonotonicClock.now() }
        corkedConnections.append(connection)
    }

    /// Sends every corked write, in the order the connections first wrote. A flush may make a
    /// connection write again (its next pipelined answer); uncorked, that write goes out at once.
    private func uncork() {
        isCorked = false
        guard !corkedConnections.isEmpty else { return }
        swap(&corkedConnections, &flushing)
        for connection in flushing { connection.flushCorked() }
        flushing.removeAll(keepingCapacity: true)
    }

    /// Between two events or two tasks of a batch: sends what is held once the oldest held write
    /// has waited `corkBudget`, and stays corked for the rest of the batch.
    @inline(__always)
    private func uncorkIfOverBudget() {
        guard !corkedConnections.isEmpty, MonotonicClock.now() &- corkedSince >= corkBudget else { return }
        uncork()
        isCorked = true
    }

    /// Adds a callback run every tick with the monotonic time. Loop thread only.
    package func onTick(_ callback: @escaping (UInt64) -> Void) {
        tickCallbacks.append(callback)
    }

    /// Adds a callback run once on the loop's thread when `run()` ends, after the last tasks: the
    /// owner of the loop's connections closes them there. Loop thread only (or before `run()`).
    package func onStop(_ callback: @escaping () -> Void) {
        stopCallbacks.append(callback)
    }

    /// Runs the loop on the calling thread until `stop()`; then runs the stop callbacks and
    /// lets go of every closure and handler it holds (`finish()`), so that what they capture —
    /// connections, their owners, what answers their requests — is freed with its last owner
    /// instead of staying reachable from a loop that will never run them.
    package func run() {
        threadID.store(UInt(bitPattern: Int(bitPattern: pthread_self())), ordering: .releasing)
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while !stopping.load(ordering: .acquiring) {
            iteration &+= 1
            isCorked = true
            runTasks()
            runDeferred()
            uncork()
            let timeout: Int32 = deferred.isEmpty ? -1 : 0
            let count = events.withUnsafeMutableBufferPointer { buffer in
                epoll_wait(epfd, buffer.baseAddress, Int32(buffer.count), timeout)
            }
            if count < 0 {
                if errno == EINTR { continue }
                preconditionFailure("epoll_wait failed: errno \(errno)")
            }
            isCorked = true
            for i in 0..<Int(count) {
                let fd = events[i].data.fd
                let flags = events[i].events
                if fd == wakeFD {
                    drain(wakeFD)
                } else if fd == timerFD {
                    drain(timerFD)
                    let now = MonotonicClock.now()
                    for callback in tickCallbacks { callback(now) }
                } else {
                    if flags & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
                        handlers[fd]?.onReadable()
                    }
                    if flags & EPOLLOUT.rawValue != 0 {
                        handlers[fd]?.onWritable()
                    }
                }
                uncorkIfOverBudget()
            }
            uncork()
        }
        runTasks()
        for callback in stopCallbacks { callback() }
        finish()
    }

    /// Drops every closure, handler and held connection; later `executeSoon` tasks are dropped
    /// as they come. The tasks are released outside the lock: what they capture may deinit.
    private func finish() {
        var abandoned: [@Sendable () -> Void] = []
        tasks.withLock { tasks in
            tasks.isClosed = true
            swap(&tasks.queue, &abandoned)
        }
        deferred = []
        runningDeferred = []
        tickCallbacks = []
        stopCallbacks = []
        handlers = [:]
        interest = [:]
        corkedConnections = []
        flushing = []
    }

    private func runTasks() {
        while true {
            // Swap the queue out rather than copy-and-clear, which would reallocate its buffer on
            // every loop iteration.
            var batch: [@Sendable () -> Void] = []
            tasks.withLock { tasks in
                if !tasks.queue.isEmpty { swap(&tasks.queue, &batch) }
            }
            if batch.isEmpty { return }
            for task in batch {
                task()
                if isCorked { uncorkIfOverBudget() }
            }
        }
    }

    /// Runs the work deferred by the previous iteration, once: what it defers again waits for
    /// the next one.
    private func runDeferred() {
        guard !deferred.isEmpty else { return }
        swap(&deferred, &runningDeferred)
        for work in runningDeferred {
            work()
            uncorkIfOverBudget()
        }
        runningDeferred.removeAll(keepingCapacity: true)
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    private func drain(_ fd: Int32) {
        var value: UInt64 = 0
        _ = read(fd, &value, 8)
    }

    private func control(_ op: Int32, _ fd: Int32, _ events: UInt32) throws(SocketError) {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        _ = try syscallNonBlocking("epoll_ctl") { epoll_ctl(epfd, op, fd, &event) }
    }
}
