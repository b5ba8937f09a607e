import SluiceCore

/// LSTM, GRU and RNN: one kernel, as they share everything but the cell. Forward, reverse and
/// bidirectional; `sequence_lens`, initial states, LSTM peepholes and `input_forget`, GRU's
/// `linear_before_reset`, `clip`, `layout` 0 and 1, and any of the three outputs left unnamed.
///
/// Per direction, X·Wᵀ (+ both biases) for every time step is one sgemm; each step then adds
/// H·Rᵀ for the whole batch with one more and runs the cell over the rows still inside their
/// sequence. W, R and the rest are read per request, as ONNX allows them to be graph inputs.
struct RecurrentKernel: Kernel {
    enum Cell: Sendable, Equatable {
        case rnn
        case gru(linearBeforeReset: Bool)
        case lstm(inputForget: Bool)

        /// Gates per hidden unit: the rows of W and R per direction are `gates · hidden`.
        var gates: Int {
            switch self {
            case .rnn: 1
            case .gru: 3
            case .lstm: 4
            }
        }
    }

    let cell: Cell
    /// Per direction: whether it runs the sequence backwards.
    let reversed: [Bool]
    /// `functions` per direction, direction by direction (LSTM f, g, h; GRU f, g; RNN f).
    let activations: [RecurrentActivation]
    let functions: Int
    let clip: Float?
    /// The `hidden_size` attribute, checked against R when given.
    let hiddenSize: Int?
    /// `layout` 1: X, Y and the states are batch-major.
    let batchFirst: Bool
    /// R transposed per direction ([dirs, hidden, gates·hidden]), made at load when R is a
    /// constant of the expected rank (as exporters write it); nil otherwise, and the pass
    /// transposes it per request (`RecurrentPass.rT`).
    let transposedR: Constant?

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        let a = n.attributes
        let cell: Cell
        let defaults: [RecurrentActivation]
        switch n.op {
        case "LSTM":
            try n.requireInputs(3...8)
            cell = .lstm(inputForget: a.int("input_forget", default: 0) != 0)
            defaults = [.sigmoid, .tanh, .tanh]
        case "GRU":
            try n.requireInputs(3...6)
            cell = .gru(linearBeforeReset: a.int("linear_before_reset", default: 0) != 0)
            defaults = [.sigmoid, .tanh]
        default:
            try n.requireInputs(3...6)
            cell = .rnn
            defaults = [.tanh]
        }
        for i in 0..<n.inputTypes.count where i != 4 && (i < 3 || n.has(i)) { _ = try n.type(i, in: [.float]) }
        if n.has(4) { _ = try n.type(4, in: [.int32]) }
        let reversed: [Bool]
        switch a.string("direction") ?? "forward" {
        case "forward": reversed = [false]
        case "reverse": reversed = [true]
        case "bidirectional": reversed = [false, true]
        case let other: throw n.fail("direction '\(other)' is not one of forward, reverse, bidirectional")
        }
        let activations = try RecurrentActivation.read(n, defaults: defaults, directions: reversed.count)
        let clip = a.float("clip")
        if let clip, !(clip > 0) { throw n.fail("clip \(clip) must be positive") }
        let hiddenSize = a.int("hidden_size")
        if let hiddenSize, hiddenSize <= 0 { throw n.fail("hidden_size \(hiddenSize) must be positive") }
        let layout = a.int("layout", default: 0)
        guard layout == 0 || layout == 1 else { throw n.fail("layout \(layout) is not 0 or 1") }
        if n.opset < 7 { a.ignore("output_sequence") }
        var transposedR: Constant?
        if let r = n.constants[2], r.type == .float, r.shape.count == 3, r.shape[0] == reversed.count {
            let (dirs, rows, hidden) = (r.shape[0], r.shape[1], r.shape[2])
            let source = r.elements(as: Float.self)
            var t = [Float](repeating: 0, count: r.count)
            for d in 0..<dirs {
                let at = d * rows * hidden
                for n in 0..<rows { for j in 0..<hidden { t[at + j * rows + n] = source[at + n * hidden + j] } }
            }
            transposedR = Constant(t, type: .float, shape: [dirs, hidden, rows])
        }
        let kernel = RecurrentKernel(
            cell: cell, reversed: reversed, activations: activations, functions: defaults.count, clip: clip,
            hiddenSize: hiddenSize, batchFirst: layout == 1, transposedR: transposedR)
        return Compiled(kernel: kernel, outputTypes: cell.gates == 4 ? [.float, .float, .float] : [.float, .float], requiredOutputs: 0)
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0), w = ws.input(io, 1), r = ws.input(io, 2)
        guard x.rank == 3, w.rank == 3, r.rank == 3 else {
            throw io.fail("X \(x.shape), W \(w.shape) and R \(r.shape) must have three dimensions")
        }
        let g = cell.gates, dirs = reversed.count
        let seq = batchFirst ? x.shape[1] : x.shape[0], batch = batchFirst ? x.shape[0] : x.shape[1]
        let inputs = x.shape[2], rows = w.shape[1], hidden = rows / g
        guard rows % g == 0, hidden > 0, w.shape == [dirs, rows, inputs], r.shape == [dirs, rows, hidden] else {
            throw io.fail("W \(w.shape) and R \(r.shape) do not fit X \(x.shape): expected [\(dirs), \(g)·hidden, \(inputs)] and [\(dirs), \(g)·hidden, hidden]")
        }
        if let hiddenSize, hiddenSize != hidden { throw io.fail("R \(r.shape) has hidden size \(hidden), the attribute says \(hiddenSize)") }
        let stateShape = batchFirst ? [batch, dirs, hidden] : [dirs, batch, hidden]
        var bias: UnsafePointer<Float>?
        if ws.has(io, 3) {
            let b = ws.input(io, 3)
            guard b.shape == [dirs, 2 * rows] else { throw io.fail("B \(b.shape) is not [\(dirs), \(2 * rows)]") }
            bias = b.pointer(Float.self)
        }
        var lengths = [Int](repeating: seq, count: batch)
        if ws.has(io, 4) {
            let l = ws.input(io, 4)
            guard l.shape == [batch] else { throw io.fail("sequence_lens \(l.shape) is not [\(batch)]") }
            lengths = l.integers()
            if let bad = lengths.first(where: { $0 < 0 || $0 > seq }) {
                throw io.fail("sequence length \(bad) is outside 0…\(seq)")
            }
        }
        var initial: [UnsafePointer<Float>?] = [nil, nil]
        for (k, i) in [5, 6].enumerated() where ws.has(io, i) {
            let s = ws.input(io, i)
            guard s.shape == stateShape else { throw io.fail("initial state \(s.shape) is not \(stateShape)") }
            initial[k] = s.pointer(Float.self)
        }
        var peepholes: UnsafePointer<Float>?
        if ws.has(io, 7) {
            let p = ws.input(io, 7)
            guard p.shape == [dirs, 3 * hidden] else { throw io.fail("P \(p.shape) is not [\(dirs), \(3 * hidden)]") }
            peepholes = p.pointer(Float.self)
        }

        let yShape = batchFirst ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden]
        let y = ws.wants(io, 0) ? try ws.output(io, 0, .float, yShape, as: Float.self) : nil
        let yh = ws.wants(io, 1) ? try ws.output(io, 1, .float, stateShape, as: Float.self) : nil
        let yc = ws.wants(io, 2) ? try ws.output(io, 2, .float, stateShape, as: Float.self) : nil
        // Steps past a row's length answer 0 in Y.
        if let y, lengths.contains(where: { $0 < seq }) { y.initialize(repeating: 0, count: seq * dirs * batch * hidden) }

        // Scratch: X·Wᵀ for every step, one step's gates, h, c, a [batch, hidden] temporary, the
        // folded bias row and Rᵀ. Each part is within the limits, so their sum cannot overflow.
        let limit = ws.limits.maxTensorElements
        guard let all = Shape.count([seq * batch, rows], within: limit), let step = Shape.count([batch, rows], within: limit)
        else { throw io.fail("the gates of all steps, \(ws.limits.beyond([seq * batch, rows]))") }
        let state = batch * hidden
        let total = all + step + 3 * state + rows + rows * hidden
        let base = ws.scratch.reserve(max(total, 1) * MemoryLayout<Float>.size).assumingMemoryBound(to: Float.self)
        let run = RecurrentPass(
            seq: seq, batch: batch, inputs: inputs, hidden: hidden, rows: rows, dirs: dirs, lengths: lengths,
            xw: base, gates: base + all, h: base + all + step, c: base + all + step + state,
            temp: base + all + step + 2 * state, biasRow: base + all + step + 3 * state,
            rT: base + all + step + 3 * state + rows)
        for d in 0..<dirs {
            run.direction(
                self, d, x: x.pointer(Float.self), w: w.pointer(Float.self) + d * rows * inputs,
                r: r.pointer(Float.self) + d * rows * hidden, bias: bias.map { $0 + d * 2 * rows },
                initial: (initial[0], initial[1]), peepholes: peepholes.map { $0 + d * 3 * hidden }, y: y)
            for b in 0..<batch {
                let at = (batchFirst ? b * dirs + d : d * batch + b) * hidden
                let done = lengths[b] > 0
                if let yh { for j in 0..<hidden { yh[at + j] = done ? run.h[b * hidden + j] : 0 } }
                if let yc { for j in 0..<hidden { yc[at + j] = done ? run.c[b * hidden + j] : 0 } }
            }
        }
    }
}
