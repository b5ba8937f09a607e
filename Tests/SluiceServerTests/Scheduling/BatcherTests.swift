import Dispatch
import Foundation
import SluiceCore
import SluiceHTTP
import SluiceNet
import Synchronization
import Testing
@testable import SluiceServer

/// A row-wise backend: `y` = 2 × `x` per row, and the rows of each call it ran. A row whose
/// value is -1 makes the whole call fail.
private final class Doubling: Backend, Sendable {
    let calls = Mutex<[Int]>([])
    var platform: String { "test" }
    var inputs: [TensorSpec] { [TensorSpec(name: "x", datatype: .fp32, shape: [-1, 1])] }
    var outputs: [TensorSpec] { [TensorSpec(name: "y", datatype: .fp32, shape: [-1, 1])] }
    func infer(_ inputs: [Tensor]) throws(ServingError) -> [Tensor] {
        guard case .fp32(let x) = inputs[0].data else { throw .backendFailure("not fp32") }
        calls.withLock { $0.append(x.count) }
        if x.contains(-1) { throw .backendFailure("poisoned row") }
        return [Tensor(unchecked: "y", shape: inputs[0].shape, data: .fp32(x.map { $0 * 2 }))]
    }
}

private let plane = DataPlane(
    manager: ModelManager(
        source: RepositoryScanner(root: "/nonexistent", backends: BackendRegistry([])),
        loader: { (_: BackendLoadRequest) throws(ServingError) -> any Backend in throw .invalidInput("unused") }, log: { _, _ in }),
    isAccepting: { true })

/// A batcher whose one worker is held by `gate` until the test opens it, so what queues behind
/// the first batch is decided by the test, not by timing.
private final class Rig: @unchecked Sendable {
    let backend = Doubling()
    let servable: ServableVersion
    let batcher: Batcher
    let pool = WorkerPool(threads: 1, maxQueue: 100)
    let gate = DispatchSemaphore(value: 0)
    let answers = Mutex<[Int: Result<[Float], ServingError>]>([:])
    let done = DispatchSemaphore(value: 0)

    init(maxBatchSize: Int = 8, delayMicros: Int = 0, instances: Int = 1, maxQueue: Int = 100, preserveOrdering: Bool = false) {
        var config = ModelConfig(maxBatchSize: maxBatchSize, dynamicBatching: DynamicBatching(maxQueueDelayMicroseconds: delayMicros))
        config.dynamicBatching?.preserveOrdering = preserveOrdering
        config.instances = instances
        config.maxQueue = maxQueue
        servable = ServableVersion(modelName: "m", version: 1, backend: backend, file: "model.test", config: config)
        batcher = Batcher(config: config, pool: pool, plane: plane)
    }

    /// Holds the worker until `open`.
    func hold() { _ = pool.submit { [gate] in gate.wait() } }
    func open() { gate.signal() }

    /// Submits request `tag` with `rows` rows of value `value` (default: the tag).
    @discardableResult
    func submit(_ tag: Int, rows: Int = 1, value: Float? = nil, deadline: UInt64? = nil) -> Bool {
        let x = [Float](repeating: value ?? Float(tag), count: rows)
        let request = InferenceRequest(id: String(tag), inputs: [Tensor(unchecked: "x", shape: [rows, 1], data: .fp32(x))])
        return batcher.submit(request, on: servable, deadline: deadline) { [self] result, _, _ in
            answers.withLock { answers in
                answers[tag] = result.map { response in
                    if case .fp32(let y) = response.outputs[0].data { return y }
                    return []
                }
            }
            done.signal()
        }
    }

    func wait(for count: Int) -> Bool {
        for _ in 0..<count where done.wait(timeout: .now() + 10) == .timedOut { return false }
        return true
    }
}

@Suite struct BatcherTests {
    @Test func requestsQueuedBehindABusyInstanceRunAsOneCallEachWithItsOwnRows() throws {
        let rig = Rig()
        rig.hold()
        rig.submit(1)                     // starts at once; waits behind the held worker
        rig.submit(2, rows: 3)
        rig.submit(3, rows: 2)
        rig.open()
        #expect(rig.wait(for: 3))
        let answers = rig.answers.withLock { $0 }
        #expect(try answers[1]?.get() == [2])
        #expect(try answers[2]?.get() == [4, 4, 4])
        #expect(try answers[3]?.get() == [6, 6])
        #expect(rig.backend.calls.withLock { $0 } == [1, 5], "the two queued requests ran as one call of 5 rows")
        #expect(rig.servable.stats.executionCount.load(ordering: .relaxed) == 2)
    }

    @Test func aFullQueueRefusesAndNothingOfItRuns() {
        let rig = Rig(maxQueue: 1)
        rig.hold()
        #expect(rig.submit(1))            // running (held)
        #expect(rig.submit(2))            // the one place in the queue
        #expect(!rig.submit(3), "max_queue 1: refused")
        rig.open()
        #expect(rig.wait(for: 2))
        #expect(rig.answers.withLock { $0[3] } == nil)
        let refusal = OverloadError.modelQueueFull(model: "m", version: 1, limit: 1)
        #expect(refusal.status == 503 && refusal.code == .resourceExhausted && refusal.headers["retry-after"] == "1")
    }

    @Test func aFailureInsideAMergedBatchFailsOnlyThatBatchsRequests() throws {
        let rig = Rig()
        rig.hold()
        rig.submit(1)                     // its own batch
        rig.submit(2)
        rig.submit(3, value: -1)          // poisons the batch it joins: 2 and 3
        rig.open()
        #expect(rig.wait(for: 3))
        let answers = rig.answers.withLock { $0 }
        #expect(try answers[1]?.get() == [2])
        #expect(answers[2].map { if case .failure(.backendFailure("poisoned row")) = $0 { true } else { false } } == true)
        #expect(answers[3].map { if case .failure(.backendFailure("poisoned row")) = $0 { true } else { false } } == true)
    }

    @Test func aRequestWhoseDeadlinePassesWhileItWaitsIsAnswered504AndNeverComputed() throws {
        let rig = Rig()
        rig.hold()
        rig.submit(1)
        rig.submit(2, deadline: MonotonicClock.now() + 20_000_000)   // 20 ms, behind a held worker
        #expect(rig.wait(for: 1), "answered at its deadline while the worker is still held")
        let late = rig.answers.withLock { $0[2] }
        #expect(late.map { if case .failure(.deadlineExceeded) = $0 { true } else { false } } == true)
        rig.open()
        #expect(rig.wait(for: 1))
        #expect(rig.backend.calls.withLock { $0 } == [1], "the late request never ran")
        #expect(ServingError.deadlineExceeded("x").status == 504)
    }

    @Test func preserveOrderingReleasesAnswersInArrivalOrder() {
        // Two instances: the second batch may end first, but its answer waits for the first's.
        let rig = Rig(maxBatchSize: 1, instances: 2, preserveOrdering: true)
        let order = Mutex<[String]>([])
        for tag in 0..<20 {
            let request = InferenceRequest(id: String(tag), inputs: [Tensor(unchecked: "x", shape: [1, 1], data: .fp32([Float(tag)]))])
            _ = rig.batcher.submit(request, on: rig.servable, deadline: nil) { result, _, _ in
                order.withLock { $0.append((try? result.get())?.id ?? "?") }
                rig.done.signal()
            }
        }
        #expect(rig.wait(for: 20))
        #expect(order.withLock { $0 } == (0..<20).map(String.init))
    }
}
