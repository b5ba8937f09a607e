import Dispatch
@testable import SluiceBackends
import SluiceCore
import Testing

/// Issue 19: a graph output is written straight into its answer array when the previous
/// request's output says how big it will be (`ONNXBackend+Answer.swift`). Answers must be what
/// the copying path gives: across batch sizes that grow and shrink, for several outputs at once
/// (one read again by later steps, one listed twice, a graph input, a constant, BOOL, INT64 and
/// FP64 ones), after a request that failed midway, and for a request cut into slices.
@Suite struct ONNXAnswerTests {
    static let width = 4096

    /// h = x + c (read again below), z = h · relu(h), d = z as FP64, b = x > 0 (BOOL), s = x's
    /// shape (INT64, small); answered as h, z, h again, d, b, s, x (the input), c (a constant).
    static func model() throws -> ONNXBackend {
        let c = ONNXGraph.floats("c", [width], (0..<width).map { Float($0 % 7) - 3 })
        let zero = ONNXGraph.floats("zero", [], [0])
        return try ONNXGraph.backend(
            [
                ONNXGraph.node("Add", ["x", "c"], ["h"], name: "add"),
                ONNXGraph.node("Relu", ["h"], ["r"], name: "relu"),
                ONNXGraph.node("Mul", ["h", "r"], ["z"], name: "mul"),
                ONNXGraph.node("Cast", ["z"], ["d"], name: "cast", int: ["to": 11]),
                ONNXGraph.node("Greater", ["x", "zero"], ["b"], name: "greater"),
                ONNXGraph.node("Shape", ["x"], ["s"], name: "shape"),
            ],
            inputs: [ONNXGraph.value("x", [nil, width])], outputs: ["h", "z", "h", "d", "b", "s", "x", "c"],
            initializers: [c, zero])
    }

    static func input(rows: Int, seed: Int) -> Tensor {
        let values = (0..<(rows * width)).map { Float(($0 &* 31 &+ seed) % 11) - 5 }
        return Tensor(unchecked: "x", shape: [rows, width], data: .fp32(values))
    }

    /// What the model answers for `x`, computed here.
    static func expected(_ x: Tensor) -> [TensorData] {
        guard case .fp32(let v) = x.data else { return [] }
        let h = v.enumerated().map { $1 + Float($0 % width % 7) - 3 }
        let z = h.map { $0 * max($0, 0) }
        return [
            .fp32(h), .fp32(z), .fp32(h), .fp64(z.map { Double($0) }), .bool(v.map { $0 > 0 }),
            .int64(x.shape.map { Int64($0) }), x.data, .fp32((0..<width).map { Float($0 % 7) - 3 }),
        ]
    }

    static func check(_ answer: [Tensor], _ x: Tensor) {
        let rows = x.shape[0]
        #expect(answer.map(\.name) == ["h", "z", "h", "d", "b", "s", "x", "c"])
        #expect(answer.map(\.shape) == [[rows, width], [rows, width], [rows, width], [rows, width], [rows, width], [2], [rows, width], [width]])
        for (tensor, want) in zip(answer, expected(x)) {
            #expect(tensor.data == want, "output \(tensor.name) at \(rows) rows")
        }
    }

    /// The one idle workspace of `backend`, given back after looking.
    static func idle(_ backend: ONNXBackend) -> Workspace {
        let ws = backend.pool.take(backend.plan)
        backend.pool.give(ws)
        return ws
    }

    @Test func batchesThatGrowAndShrinkAnswerAsTheFirstRequestDoes() throws {
        let backend = try Self.model()
        for (i, rows) in [8, 8, 6, 16, 3, 16, 9, 1, 16].enumerated() {
            let x = Self.input(rows: rows, seed: i)
            Self.check(try backend.infer([x]), x)
        }
    }

    /// The second request of a size writes h, z and d where the answer holds them: the
    /// workspace keeps no pointer to them (the copying path leaves them in its buffers).
    @Test func aRepeatedSizeIsWrittenIntoTheAnswer() throws {
        let backend = try Self.model()
        let plan = backend.plan
        let first = Self.input(rows: 8, seed: 1)
        Self.check(try backend.infer([first]), first)
        let ws = Self.idle(backend)
        let lent = [0, 1, 3].map { plan.outputs[$0].id }
        #expect(lent.allSatisfy { ws.counts[$0] == 8 * Self.width })
        #expect(ws.answerCounts[0...3] == [8 * Self.width, 8 * Self.width, 8 * Self.width, 8 * Self.width])
        let second = Self.input(rows: 8, seed: 2)
        Self.check(try backend.infer([second]), second)
        #expect(lent.allSatisfy { ws.counts[$0] == 0 && ws.bases[$0] == ExecutionPlan.emptyBase })
        // The BOOL, the small INT64 and the input are copied as before.
        #expect(ws.counts[plan.outputs[4].id] == 8 * Self.width)
    }

    /// A Reshape after the lent output fails on the request's shape: the answer being built is
    /// dropped, the workspace lets go of it, and the next request answers correctly.
    @Test func aRequestThatFailsMidwayLeavesTheNextOneCorrect() throws {
        let backend = try ONNXGraph.backend(
            [
                ONNXGraph.node("Relu", ["x"], ["y"], name: "relu"),
                ONNXGraph.node("Reshape", ["y", "shape"], ["r"], name: "reshape"),
            ],
            inputs: [ONNXGraph.value("x", [nil, Self.width]), ONNXGraph.value("shape", [2], type: 7)],
            outputs: ["y", "r"])
        func request(_ rows: Int, _ shape: [Int64], seed: Int) -> [Tensor] {
            [Self.input(rows: rows, seed: seed), Tensor(unchecked: "shape", shape: [2], data: .int64(shape))]
        }
        func relu(_ x: Tensor) -> TensorData {
            guard case .fp32(let v) = x.data else { return .fp32([]) }
            return .fp32(v.map { max($0, 0) })
        }
        for seed in 0..<2 {
            let ok = request(8, [-1, 2], seed: seed)
            let answer = try backend.infer(ok)
            #expect(answer.map(\.data) == [relu(ok[0]), relu(ok[0])])
        }
        #expect(throws: ServingError.self) { try backend.infer(request(8, [3, -1], seed: 3)) }
        let ws = Self.idle(backend)
        #expect(ws.counts[backend.plan.outputs[0].id] == 0)
        let after = request(8, [-1, 4], seed: 4)
        let answer = try backend.infer(after)
        #expect(answer.map(\.shape) == [[8, Self.width], [8 * Self.width / 4, 4]])
        #expect(answer.map(\.data) == [relu(after[0]), relu(after[0])])
    }

    /// Slices run at once in workspaces of their own, each learning a slice's size, while whole
    /// requests between them need twice that.
    @Test func slicedAndWholeRequestsInTurnAnswerAlike() throws {
        let backend = try Self.model()
        let helpers: (@escaping @Sendable () -> Void) -> Bool = { job in
            DispatchQueue.global().async(execute: job)
            return true
        }
        for round in 0..<3 {
            let x = Self.input(rows: 16, seed: round)
            let sliced = try SlicedInference.run([x], rows: 16, slices: 2, helpers: helpers) { part throws(ServingError) in
                try backend.infer(part)
            }
            Self.check(sliced, x)
            Self.check(try backend.infer([x]), x)
        }
    }

    @Test(arguments: [
        (0, 100, 100), (100, 100, 100), (100, 60, 100), (100, 50, 100), (100, 49, 49), (100, 150, 150), (100, 0, 0),
    ])
    func theRememberedSizeKeepsTheLargerWithinTwiceAndShrinksBelow(previous: Int, count: Int, remembered: Int) {
        #expect(ONNXBackend.learned(previous, count) == remembered)
    }
}
