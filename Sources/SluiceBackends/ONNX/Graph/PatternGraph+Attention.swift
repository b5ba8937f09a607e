/// Attention as torch.onnx.export writes it, for `GraphCompiler.fusePatterns`:
///
///     Qh = Transpose(Q, [0,2,1,3])    Kt = Transpose(K, [0,2,3,1])    Vh = Transpose(V, [0,2,1,3])
///     P = Softmax(MatMul(Qh, Kt) · c, axis -1)        (· c: Mul by, or Div by, a scalar; or none)
///     Y = Transpose(MatMul(P, Vh), [0,2,1,3])
///
/// with Kt also as Transpose(Transpose(K, [0,2,1,3]), [0,1,3,2]), → `AttentionKernel` on
/// [Q, K, V] (the Reshapes that split the heads stay as they are) writing Y. Every intermediate
/// has this one reader and is not a graph output; the products are plain FP32 MatMuls.
extension PatternGraph {
    /// The attention whose Softmax is step `i`.
    func attention(at i: Int) -> PatternMatch? {
        guard let softmax = steps[i].kernel as? SoftmaxKernel, softmax.type == .float, !softmax.log, !softmax.hard,
            softmax.axis == -1 || softmax.axis == 3, let scores = input(i, 0), single(scores), let p = output(i),
            let (product, alpha, scaling) = scaledProduct(scores),
            let (qh, kt) = pair(product), qh != kt,
            let (q, qSteps) = heads(qh, perm: [0, 2, 1, 3]), let (k, kSteps) = transposedHeads(kt),
            let second = onlyReader(p), plainMatMul(second), input(second, 0) == p, let vh = input(second, 1), vh != p,
            let (v, vSteps) = heads(vh, perm: [0, 2, 1, 3]), let context = output(second),
            let last = onlyReader(context), transpose(last) == [0, 2, 1, 3], output(last) != nil
        else { return nil }
        return PatternMatch(
            name: "Attention", kernel: AttentionKernel(alpha: alpha), inputs: [q, k, v],
            consumed: qSteps.union(kSteps).union(vSteps).union(scaling).union([product, i, second, last]), at: last)
    }

    /// The MatMul whose product, times a scalar constant (or divided by one, or as it is), is
    /// `scores`; with the factor and the scaling step.
    private func scaledProduct(_ scores: Int) -> (Int, Float, Set<Int>)? {
        guard let p = producer[scores] else { return nil }
        if plainMatMul(p) { return (p, 1, []) }
        guard let (a, b) = pair(p) else { return nil }
        var candidates: [(Int, Double)] = []
        if arithmetic(p, .mul) {
            if let c = scalar(b) { candidates.append((a, c)) }
            if let c = scalar(a) { candidates.append((b, c)) }
        } else if arithmetic(p, .div), let c = scalar(b), c != 0 {
            candidates.append((a, 1 / c))
        }
        for (raw, factor) in candidates where single(raw) {
            if let m = producer[raw], plainMatMul(m) { return (m, Float(factor), [p]) }
        }
        return nil
    }

    /// The value a Transpose by `perm` read only here turns into `v`, and that step.
    private func heads(_ v: Int, perm: [Int]) -> (Int, Set<Int>)? {
        guard single(v), let t = producer[v], transpose(t) == perm, let x = input(t, 0) else { return nil }
        return (x, [t])
    }

    /// K before its Transpose by [0,2,3,1], or by [0,2,1,3] then [0,1,3,2].
    private func transposedHeads(_ v: Int) -> (Int, Set<Int>)? {
        if let direct = heads(v, perm: [0, 2, 3, 1]) { return direct }
        guard let (kh, swap) = heads(v, perm: [0, 1, 3, 2]), let (k, split) = heads(kh, perm: [0, 2, 1, 3]) else {
            return nil
        }
        return (k, swap.union(split))
    }

    /// The explicit perm of a Transpose step, or nil.
    private func transpose(_ i: Int) -> [Int]? {
        guard let t = steps[i].kernel as? TransposeKernel, output(i) != nil else { return nil }
        return t.perm
    }

    /// An FP32 MatMul with nothing fused into it yet.
    private func plainMatMul(_ i: Int) -> Bool {
        guard let m = steps[i].kernel as? MatMulKernel, m.type == .float, m.bias == nil, m.activation == .identity else {
            return false
        }
        return output(i) != nil && pair(i) != nil
    }
}
