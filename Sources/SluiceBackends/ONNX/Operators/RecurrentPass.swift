/// One request's pass of `RecurrentKernel`: the sizes and the scratch it computes in.
struct RecurrentPass {
    let seq: Int, batch: Int, inputs: Int, hidden: Int
    /// gates · hidden: the width of one row of gates.
    let rows: Int
    let dirs: Int
    let lengths: [Int]
    /// [seq·batch, rows]: X·Wᵀ plus the bias, in X's own row order.
    let xw: UnsafeMutablePointer<Float>
    /// [batch, rows]: the step's gates.
    let gates: UnsafeMutablePointer<Float>
    /// [batch, hidden] each: the hidden and cell states, and GRU's temporary.
    let h: UnsafeMutablePointer<Float>
    let c: UnsafeMutablePointer<Float>
    let temp: UnsafeMutablePointer<Float>
    /// [rows]: the bias added to every row of `xw`.
    let biasRow: UnsafeMutablePointer<Float>
    /// [hidden, rows]: room for the direction's R transposed, for batches of more than one row
    /// when the kernel has no `transposedR` (R is not a constant). OpenBLAS repacks a transposed
    /// B on every call; H·Rᵀ as a plain product with Rᵀ stored runs in about 0.6 of the time
    /// (8 × 128 by 128 × 512: 26 µs against 44), and it runs every step.
    let rT: UnsafeMutablePointer<Float>

    /// Runs direction `d` over the whole sequence, leaving its last states in `h` and `c` and
    /// writing its part of Y.
    func direction(
        _ k: RecurrentKernel, _ d: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>, r: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, initial: (UnsafePointer<Float>?, UnsafePointer<Float>?),
        peepholes: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>?
    ) {
        let activations = k.activations[(d * k.functions)..<((d + 1) * k.functions)].map { $0 }
        // GRU with linear_before_reset keeps R's bias of the h gate inside the reset product
        // (zeros, from `biasRow`, when the node has no B).
        var resetBias = UnsafePointer(biasRow)
        biasRow.initialize(repeating: 0, count: rows)
        if let bias {
            for j in 0..<rows { biasRow[j] = bias[j] + bias[rows + j] }
            if case .gru(linearBeforeReset: true) = k.cell {
                for j in (2 * hidden)..<rows { biasRow[j] = bias[j] }
                resetBias = bias + rows + 2 * hidden
            }
        }
        repeatRow(biasRow, rows, into: xw, rows: seq * batch)
        sgemm(transB: true, m: seq * batch, n: rows, k: inputs, x, lda: inputs, w, ldb: inputs, beta: 1, xw, ldc: rows)
        for (state, from) in [(h, initial.0), (c, initial.1)] {
            for b in 0..<batch {
                let row = state + b * hidden
                if let from {
                    row.update(from: from + (k.batchFirst ? b * dirs + d : d * batch + b) * hidden, count: hidden)
                } else {
                    row.initialize(repeating: 0, count: hidden)
                }
            }
        }
        var rt = UnsafePointer(rT)
        if let transposed = k.transposedR {
            rt = UnsafePointer(transposed.buffer.pointer.assumingMemoryBound(to: Float.self)) + d * rows * hidden
        } else if batch > 1 {
            for n in 0..<rows { for j in 0..<hidden { rT[j * rows + n] = r[n * hidden + j] } }
        }
        let reverse = k.reversed[d]
        // Time-major with every row the whole sequence long: a step's rows of `xw` are
        // contiguous, and the step computes its gates there instead of in a copy.
        let inPlace = !k.batchFirst && lengths.allSatisfy { $0 == seq }
        for i in 0..<seq {
            let gates = inPlace ? xw + (reverse ? seq - 1 - i : i) * batch * rows : self.gates
            // Each row's time step: rows past their length sit the step out.
            var active = inPlace ? batch : 0
            for b in 0..<batch where !inPlace {
                let length = lengths[b]
                let g = gates + b * rows
                guard i < length else {
                    g.initialize(repeating: 0, count: rows)
                    continue
                }
                active += 1
                let t = reverse ? length - 1 - i : i
                g.update(from: xw + (k.batchFirst ? b * seq + t : t * batch + b) * rows, count: rows)
            }
            guard active > 0 else { break }
            switch k.cell {
            case .rnn: rnnStep(gates, activations, k.clip, r, rt, i)
            case .gru(let linearBeforeReset): gruStep(gates, activations, k.clip, r, rt, linearBeforeReset ? resetBias : nil, i)
            case .lstm(let inputForget): lstmStep(gates, activations, k.clip, r, rt, peepholes, inputForget, i)
            }
            guard let y else { continue }
            for b in 0..<batch where i < lengths[b] {
                let t = reverse ? lengths[b] - 1 - i : i
                let at = (k.batchFirst ? (b * seq + t) * dirs + d : (t * dirs + d) * batch + b) * hidden
                (y + at).update(from: h + b * hidden, count: hidden)
            }
        }
    }

    /// out += H·R[first..<first+count]ᵀ for every row of the batch (one row: sgemv on R itself).
    private func recur(
        _ r: UnsafePointer<Float>, _ rt: UnsafePointer<Float>, first: Int, count: Int, from a: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
        ldc: Int, beta: Float
    ) {
        if batch == 1 {
            sgemm(transB: true, m: 1, n: count, k: hidden, a, lda: hidden, r + first * hidden, ldb: hidden, beta: beta, out, ldc: ldc)
        } else {
            sgemm(m: batch, n: count, k: hidden, a, lda: hidden, rt + first, ldb: rows, beta: beta, out, ldc: ldc)
        }
    }

    private func rnnStep(_ gates: UnsafeMutablePointer<Float>, _ f: [RecurrentActivation], _ clip: Float?, _ r: UnsafePointer<Float>, _ rt: UnsafePointer<Float>, _ i: Int) {
        recur(r, rt, first: 0, count: hidden, from: h, into: gates, ldc: rows, beta: 1)
        for b in 0..<batch where i < lengths[b] {
            let g = gates + b * rows
            f[0].apply(g, hidden, clip: clip)
            (h + b * hidden).update(from: g, count: hidden)
        }
    }

    /// Gates z, r, h (ONNX's order). Without linear_before_reset the h gate's recurrence is
    /// (r ⊙ H)·Rₕᵀ; with it, r ⊙ (H·Rₕᵀ + Rbₕ).
    private func gruStep(_ gates: UnsafeMutablePointer<Float>, _ f: [RecurrentActivation], _ clip: Float?, _ r: UnsafePointer<Float>, _ rt: UnsafePointer<Float>, _ resetBias: UnsafePointer<Float>?, _ i: Int) {
        let zr = 2 * hidden
        recur(r, rt, first: 0, count: zr, from: h, into: gates, ldc: rows, beta: 1)
        for b in 0..<batch where i < lengths[b] {
            f[0].apply(gates + b * rows, zr, clip: clip)
        }
        if let resetBias {
            recur(r, rt, first: zr, count: hidden, from: h, into: temp, ldc: hidden, beta: 0)
            for b in 0..<batch where i < lengths[b] {
                let g = gates + b * rows, hr = temp + b * hidden
                for j in 0..<hidden { g[zr + j] += g[hidden + j] * (hr[j] + resetBias[j]) }
            }
        } else {
            for b in 0..<batch {
                let g = gates + b * rows, hb = h + b * hidden, t = temp + b * hidden
                for j in 0..<hidden { t[j] = g[hidden + j] * hb[j] }
            }
            recur(r, rt, first: zr, count: hidden, from: temp, into: gates + zr, ldc: rows, beta: 1)
        }
        for b in 0..<batch where i < lengths[b] {
            let g = gates + b * rows, hb = h + b * hidden
            f[1].apply(g + zr, hidden, clip: clip)
            for j in 0..<hidden { hb[j] = (1 - g[j]) * g[zr + j] + g[j] * hb[j] }
        }
    }

    /// Gates i, o, f, c (ONNX's order); peepholes P are i, o, f.
    private func lstmStep(
        _ gates: UnsafeMutablePointer<Float>, _ f: [RecurrentActivation], _ clip: Float?, _ r: UnsafePointer<Float>, _ rt: UnsafePointer<Float>, _ p: UnsafePointer<Float>?, _ inputForget: Bool, _ i: Int
    ) {
        recur(r, rt, first: 0, count: rows, from: h, into: gates, ldc: rows, beta: 1)
        let n = hidden
        for b in 0..<batch where i < lengths[b] {
            let g = gates + b * rows, cb = c + b * n, hb = h + b * n
            let gi = g, go = g + n, gf = g + 2 * n, gc = g + 3 * n
            if let p {
                for j in 0..<n { gi[j] += p[j] * cb[j] }
                if !inputForget { for j in 0..<n { gf[j] += p[2 * n + j] * cb[j] } }
            }
            // Without peepholes the o gate does not wait for the new cell: i, o and f are one
            // contiguous run of 3·hidden for the same function.
            let together = p == nil && !inputForget
            f[0].apply(gi, together ? 3 * n : n, clip: clip)
            if inputForget {
                for j in 0..<n { gf[j] = 1 - gi[j] }
            } else if !together {
                f[0].apply(gf, n, clip: clip)
            }
            f[1].apply(gc, n, clip: clip)
            for j in 0..<n { cb[j] = gf[j] * cb[j] + gi[j] * gc[j] }
            if let p { for j in 0..<n { go[j] += p[n + j] * cb[j] } }
            if !together { f[0].apply(go, n, clip: clip) }
            hb.update(from: cb, count: n)
            f[2].apply(hb, n, clip: nil)
            for j in 0..<n { hb[j] *= go[j] }
        }
    }
}
