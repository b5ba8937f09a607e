import Dispatch
import Synchronization

/// One request's rows cut into slices that run at once (`threads_per_inference`, README "Where
/// inference runs"), and their outputs joined back along dimension 0: the same row arithmetic
/// as dynamic batching (`TensorBatch`), run the other way round.
///
/// Called on the thread that runs the request (a worker, or the loop of a request costly enough
/// to be sliced yet run where it is), once per backend call the caller decided to slice. The
/// caller offers the slices to helper threads through `helpers` and runs slices itself too:
/// each slice is claimed from a shared counter, so a slice no helper has picked up yet is run
/// by the caller, which then waits only for slices that are already running. A busy or full
/// helper pool costs parallelism, never a wait behind other requests, and cannot deadlock.
package enum SlicedInference {
    /// Row counts of `parts` slices of `rows` rows, as even as they come, larger first; fewer
    /// slices when there are fewer rows than `parts`, none for 0 rows.
    package static func sliceRows(_ rows: Int, into parts: Int) -> [Int] {
        let count = min(max(parts, 1), max(rows, 0))
        guard count > 0 else { return [] }
        let (base, extra) = rows.quotientAndRemainder(dividingBy: count)
        return (0..<count).map { $0 < extra ? base + 1 : base }
    }

    /// Runs `infer` over `inputs` cut into `slices` slices of rows (every input has `rows` ≥ 2
    /// rows, `TensorBatch.rows(of:)`), and joins the outputs in row order. `helpers` queues a
    /// job on another thread and says whether it took it (false: the caller runs that share).
    /// The first slice to fail fails the whole call with its error; the slices not yet started
    /// then do not run. When the slices' outputs cannot be joined (an output without that
    /// slice's rows, or whose other dimensions differ between slices: a length that depends on
    /// the data), the call runs again whole, so a request answers what it would unsliced.
    package static func run(
        _ inputs: [Tensor], rows: Int, slices: Int,
        helpers: (@escaping @Sendable () -> Void) -> Bool,
        infer: @escaping @Sendable ([Tensor]) throws(ServingError) -> [Tensor]
    ) throws(ServingError) -> [Tensor] {
        let counts = sliceRows(rows, into: slices)
        guard counts.count > 1 else { return try infer(inputs) }
        let parts = try TensorBatch.split(inputs, rows: counts)
        let job = Job(parts: parts, infer: infer)
        for _ in 1..<parts.count {
            guard helpers({ job.work() }) else { break }
        }
        job.work()
        let outputs = try job.outputs()
        guard zip(outputs, counts).allSatisfy({ part, count in part.allSatisfy { $0.shape.first == count } }),
            let joined = try? TensorBatch.concat(outputs, role: "output")
        else { return try infer(inputs) }
        return joined
    }

    /// The slices of one call and what became of them, shared by the caller and its helpers.
    private final class Job: Sendable {
        private struct State {
            var next = 0
            var running = 0
            var outputs: [[Tensor]?]
            var failure: ServingError?
            var isSettled = false
        }
        private let parts: [[Tensor]]
        private let infer: @Sendable ([Tensor]) throws(ServingError) -> [Tensor]
        private let state: Mutex<State>
        /// Signalled once, when no slice is left to start and none is running.
        private let settled = DispatchSemaphore(value: 0)

        init(parts: [[Tensor]], infer: @escaping @Sendable ([Tensor]) throws(ServingError) -> [Tensor]) {
            self.parts = parts
            self.infer = infer
            state = Mutex(State(outputs: Array(repeating: nil, count: parts.count)))
        }

        /// Runs slices until none is left to claim. Any thread; a helper that comes late finds
        /// nothing and returns.
        func work() {
            while let index = claim() {
                let result: Result<[Tensor], ServingError>
                do throws(ServingError) {
                    result = .success(try infer(parts[index]))
                } catch {
                    result = .failure(error)
                }
                let settles = state.withLock { state -> Bool in
                    switch result {
                    case .success(let outputs): state.outputs[index] = outputs
                    case .failure(let error): if state.failure == nil { state.failure = error }
                    }
                    state.running -= 1
                    let done = state.running == 0 && (state.next == parts.count || state.failure != nil)
                    guard done, !state.isSettled else { return false }
                    state.isSettled = true
                    return true
                }
                if settles { settled.signal() }
            }
        }

        private func claim() -> Int? {
            state.withLock { state in
                guard state.failure == nil, state.next < parts.count else { return nil }
                defer { state.next += 1 }
                state.running += 1
                return state.next
            }
        }

        /// Waits until every claimed slice has ended; then every slice's outputs in order, or
        /// the first failure. For the caller, after its own `work()`, which claimed at least
        /// until nothing was left, so only running slices are waited for.
        func outputs() throws(ServingError) -> [[Tensor]] {
            settled.wait()
            let (outputs, failure) = state.withLock { ($0.outputs, $0.failure) }
            if let failure { throw failure }
            var joined: [[Tensor]] = []
            joined.reserveCapacity(outputs.count)
            for case let part? in outputs { joined.append(part) }
            guard joined.count == parts.count else { throw .backendFailure("a slice of the request did not run") }
            return joined
        }
    }
}
