import Foundation
import Glibc
import Synchronization
import Testing
@testable import SluiceNet

/// What a loop holds for later — tasks, deferred work, tick and stop callbacks — goes once its
/// `run()` has returned: what those closures capture (connections and their owners) is freed
/// with its last owner instead of staying reachable from a loop that will never run them.
@Suite struct EventLoopStopTests {
    private final class Token: Sendable {}

    /// Runs `loop` on a thread until `stop()`, and returns once that thread has left `run()`.
    private static func runAndStop(_ loop: EventLoop, beforeStop: () -> Void = {}) {
        let stopped = DispatchSemaphore(value: 0)
        let thread = Thread {
            loop.run()
            stopped.signal()
        }
        thread.start()
        beforeStop()
        loop.stop()
        stopped.wait()
    }

    @Test func stopCallbacksRunOnTheLoopAfterItsLastTasks() throws {
        let loop = try EventLoop(index: 0)
        let order = Mutex<[String]>([])
        loop.onStop { order.withLock { $0.append(loop.inEventLoop ? "stop on loop" : "stop elsewhere") } }
        Self.runAndStop(loop) { loop.executeSoon { order.withLock { $0.append("task") } } }
        #expect(order.withLock { $0 } == ["task", "stop on loop"])
    }

    @Test func aStoppedLoopDropsWhatItHeldAndWhatComesLater() throws {
        let loop = try EventLoop(index: 0)
        weak var tick: Token?, stop: Token?, late: Token?
        do {
            let ticked = Token(), stopped = Token()
            tick = ticked
            stop = stopped
            loop.onTick { _ in _ = ticked }
            loop.onStop { _ = stopped }
        }
        Self.runAndStop(loop)
        #expect(tick == nil)
        #expect(stop == nil)
        do {
            let token = Token()
            late = token
            loop.executeSoon { _ = token }
        }
        #expect(late == nil)
    }
}
