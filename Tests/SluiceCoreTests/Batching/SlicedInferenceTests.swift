import Dispatch
import Synchronization
import Testing
@testable import SluiceCore

/// `threads_per_inference`'s row arithmetic and hand-off: slices of a request's rows, run by the
/// caller and helper threads, answer exactly what the whole request does, in row order; a
/// failing slice fails the call; a helper pool that takes nothing costs no answer.
@Suite struct SlicedInferenceTests {
    /// A row-wise model: `y` is each row's sum and its index within the call, `twice` each
    /// element doubled (FP64), so a slice run out of order or a row joined twice shows.
    @Sendable static func rowWise(_ inputs: [Tensor]) throws(ServingError) -> [Tensor] {
        guard case .fp32(let x) = inputs[0].data, let rows = inputs[0].shape.first else { throw .backendFailure("not fp32") }
        let width = inputs[0].shape[1]
        if x.contains(-1) { throw .invalidInput("row holds -1") }
        let sums = (0..<rows).map { r in x[r * width..<(r + 1) * width].reduce(0, +) }
        return [
            Tensor(unchecked: "y", shape: [rows], data: .fp32(sums)),
            Tensor(unchecked: "twice", shape: [rows, width], data: .fp64(x.map { Double($0) * 2 })),
        ]
    }

    static func input(rows: Int, width: Int = 3, poisonRow: Int? = nil) -> [Tensor] {
        let values = (0..<(rows * width)).map { i in i / width == poisonRow ? Float(-1) : Float(i % 17) * 0.25 }
        return [Tensor(unchecked: "x", shape: [rows, width], data: .fp32(values))]
    }

    /// Helpers that run every job on a thread of their own.
    static func threads(_ job: @escaping @Sendable () -> Void) -> Bool {
        DispatchQueue.global().async(execute: job)
        return true
    }

    @Test(arguments: [
        (10, 3, [4, 3, 3]), (8, 2, [4, 4]), (1, 2, [1]), (0, 4, []), (5, 1, [5]), (3, 8, [1, 1, 1]),
    ])
    func sliceRowsAreAsEvenAsTheyComeLargerFirst(rows: Int, parts: Int, expected: [Int]) {
        #expect(SlicedInference.sliceRows(rows, into: parts) == expected)
    }

    @Test(arguments: [(8, 2), (9, 4), (64, 3), (2, 64)])
    func slicesRunByHelpersAnswerWhatTheWholeRequestDoes(rows: Int, slices: Int) throws {
        let inputs = Self.input(rows: rows)
        let whole = try Self.rowWise(inputs)
        let ran = Atomic<Int>(0)
        let sliced = try SlicedInference.run(inputs, rows: rows, slices: slices, helpers: Self.threads) { slice throws(ServingError) in
            ran.add(1, ordering: .relaxed)
            return try Self.rowWise(slice)
        }
        #expect(sliced == whole)
        #expect(ran.load(ordering: .relaxed) == min(rows, slices))
    }

    @Test func aHelperPoolThatTakesNothingLeavesEverySliceToTheCaller() throws {
        let inputs = Self.input(rows: 8)
        let sliced = try SlicedInference.run(inputs, rows: 8, slices: 4, helpers: { _ in false }, infer: Self.rowWise)
        #expect(sliced == (try Self.rowWise(inputs)))
    }

    @Test func helpersThatNeverRunLeaveTheSlicesToTheCallerWithoutAWait() throws {
        // A pool that queues the jobs but runs them only after the call answered (a busy pool).
        let parked = Mutex<[@Sendable () -> Void]>([])
        let inputs = Self.input(rows: 6)
        let sliced = try SlicedInference.run(inputs, rows: 6, slices: 3, helpers: { job in
            parked.withLock { $0.append(job) }
            return true
        }, infer: Self.rowWise)
        #expect(sliced == (try Self.rowWise(inputs)))
        // Late helpers find nothing left to run.
        for job in parked.withLock({ $0 }) { job() }
    }

    @Test(arguments: [0, 5, 7])
    func aFailingSliceFailsTheCallWithItsError(poisonRow: Int) {
        let inputs = Self.input(rows: 8, poisonRow: poisonRow)
        #expect(throws: ServingError.invalidInput("row holds -1")) {
            try SlicedInference.run(inputs, rows: 8, slices: 2, helpers: Self.threads, infer: Self.rowWise)
        }
    }

    /// Outputs that cannot be joined (rows lost, or a length that depends on the slice's data):
    /// the call runs again whole and answers as unsliced.
    @Test func outputsThatCannotBeJoinedAreAnsweredWhole() throws {
        let inputs = Self.input(rows: 4)
        let total = try SlicedInference.run(inputs, rows: 4, slices: 2, helpers: { _ in false }) { x throws(ServingError) in
            [Tensor(unchecked: "total", shape: [1], data: .fp32([Float(x[0].shape[0])]))]
        }
        #expect(total == [Tensor(unchecked: "total", shape: [1], data: .fp32([4]))])
        // Per-row outputs whose width depends on the slice (slices of 3 and 2 rows: widths 4 and 3).
        let padded = try SlicedInference.run(Self.input(rows: 5), rows: 5, slices: 2, helpers: { _ in false }) { x throws(ServingError) in
            let rows = x[0].shape[0]
            return [Tensor(unchecked: "padded", shape: [rows, rows + 1], data: .fp32(Array(repeating: 1, count: rows * (rows + 1))))]
        }
        #expect(padded.first?.shape == [5, 6])
    }
}
