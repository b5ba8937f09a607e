import SluiceCore

/// Pattern fusion at load: the chains of primitive operators that exporters write for
/// LayerNormalization and GELU (torch.onnx.export below opsets 17 and 20) become the one kernel
/// that computes them, so a BERT layer does not write and read back a dozen intermediates
/// (and its x³ is not a `powf` per element). Runs before `fuse`, which then takes a GELU into
/// the MatMul before it (`Activation.gelu`, `.geluTanh`).
///
/// - LayerNormalization over the last axis:
///   `m = ReduceMean(x, [-1]); d = x − m; v = ReduceMean(d ^ 2, [-1]);
///   y = d / Sqrt(v + ε) · γ (+ β)` with ε a scalar constant, γ and β constant vectors
///   (of at most one dimension), → `LayerNormKernel(axis: -1, epsilon: ε)` on [x, γ, β],
///   broadcasting γ and β as the Mul and Add did (`broadcastsScale`: x [..., 1] with γ of H
///   values answers [..., H]).
/// - GELU, exact: `x · (Erf(x / √2) + 1) · 0.5` (or `x · (1/√2)`), → `.gelu`.
/// - GELU, tanh: `x · (Tanh(√(2/π) · (x + 0.044715 · x³)) + 1) · 0.5`, x³ as `Pow(x, 3)` or
///   `x · (x · x)`, → `.geluTanh`.
///
/// Additions and products match in either operand order, and the final product of x, 0.5 and
/// the `1 + …` factor in any grouping. Scalar constants must be rank-0 FP32 constants within
/// 1e-6 relative of their value. Every intermediate must have exactly one reader inside the
/// pattern (two for LayerNorm's `d`) and not be a graph output; anything else stays as it was.
/// The fused step takes the place of the pattern's last node, after which all its inputs exist.
extension GraphCompiler {
    mutating func fusePatterns(outputs: Set<Int>) {
        let graph = PatternGraph(steps: steps, constants: constants, outputs: outputs)
        var result = steps
        // Steps a match took (its own place included): no later match may take them again.
        var used = Set<Int>(), removed = Set<Int>()
        for (i, step) in steps.enumerated() where !used.contains(i) {
            guard let match = graph.layerNorm(at: i) ?? graph.gelu(at: i) ?? graph.attention(at: i),
                match.consumed.isDisjoint(with: used)
            else { continue }
            used.formUnion(match.consumed)
            removed.formUnion(match.consumed.subtracting([match.at]))
            let last = steps[match.at].io
            let io = NodeIO(inputs: match.inputs, outputs: last.outputs, label: "\(step.io.label) … \(last.label) as \(match.name)")
            result[match.at] = ExecutionPlan.Step(io: io, kernel: match.kernel)
        }
        steps = result.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }
}

/// A matched pattern: the kernel and its inputs, the steps it replaces, and which of them the
/// fused step takes the place of.
struct PatternMatch {
    let name: String
    let kernel: any Kernel
    let inputs: [Int]
    let consumed: Set<Int>
    let at: Int
}

/// The steps with who produces and who reads each value, for matching patterns.
struct PatternGraph {
    let steps: [ExecutionPlan.Step]
    let constants: [Int: Constant]
    let outputs: Set<Int>
    private(set) var producer: [Int: Int] = [:]
    /// Value → the steps reading it, once per input slot (Mul(x, x) reads x twice).
    private(set) var readers: [Int: [Int]] = [:]

    init(steps: [ExecutionPlan.Step], constants: [Int: Constant], outputs: Set<Int>) {
        self.steps = steps
        self.constants = constants
        self.outputs = outputs
        for (i, step) in steps.enumerated() {
            for v in step.io.outputs where v >= 0 { producer[v] = i }
            for v in step.io.inputs where v >= 0 { readers[v, default: []].append(i) }
        }
    }

    // MARK: LayerNormalization

    /// The decomposed LayerNorm whose first ReduceMean is step `i`.
    func layerNorm(at i: Int) -> PatternMatch? {
        guard isMeanOverLastAxis(i), let x = input(i, 0), let m = output(i),
            let sub = onlyReader(m), arithmetic(sub, .sub), steps[sub].io.inputs == [x, m], let d = output(sub),
            !outputs.contains(d), let dReaders = readers[d], dReaders.count == 2
        else { return nil }
        let pow = dReaders.first { steps[$0].kernel is PowKernel }, div = dReaders.first { arithmetic($0, .div) }
        guard let pow, let div, pow != div, isPow(pow, of: d, exponent: 2), let square = output(pow),
            let mean2 = onlyReader(square), isMeanOverLastAxis(mean2), input(mean2, 0) == square, let variance = output(mean2),
            let add = onlyReader(variance), arithmetic(add, .add), let epsilon = scalar(other(add, than: variance)), epsilon >= 0,
            let shifted = output(add), let sqrt = onlyReader(shifted), isSqrt(sqrt), let std = output(sqrt),
            onlyReader(std) == div, steps[div].io.inputs == [d, std], let normalized = output(div),
            let mul = onlyReader(normalized), arithmetic(mul, .mul), let scale = other(mul, than: normalized),
            vector(scale), let scaled = output(mul)
        else { return nil }
        var consumed: Set<Int> = [i, sub, pow, mean2, add, sqrt, div, mul]
        var inputs = [x, scale]
        var last = mul
        if !outputs.contains(scaled), let bias = onlyReader(scaled), arithmetic(bias, .add),
            let shift = other(bias, than: scaled), vector(shift)
        {
            consumed.insert(bias)
            inputs.append(shift)
            last = bias
        }
        return PatternMatch(
            name: "LayerNormalization", kernel: LayerNormKernel(axis: -1, epsilon: Float(epsilon), broadcastsScale: true),
            inputs: inputs, consumed: consumed, at: last)
    }

    /// ReduceMean of FP32 over axes [-1] (attribute or constant input), keeping dimensions.
    private func isMeanOverLastAxis(_ i: Int) -> Bool {
        guard let r = steps[i].kernel as? ReduceKernel, r.operation == .mean, r.keepDims, r.type == .float,
            steps[i].io.outputs.count == 1
        else { return false }
        let io = steps[i].io
        if let axes = r.axes { return axes == [-1] && io.inputs.count == 1 }
        guard io.inputs.count == 2, let axes = constants[io.inputs[1]] else { return false }
        return axes.integers == [-1]
    }

    // MARK: GELU

    /// The decomposed GELU whose Erf or Tanh is step `i`.
    func gelu(at i: Int) -> PatternMatch? {
        guard let u = steps[i].kernel as? UnaryKernel, u.type == .float else { return nil }
        let approximate: Bool
        switch u.function {
        case .erf: approximate = false
        case .tanh: approximate = true
        default: return nil
        }
        // f(argument of x) + 1, then the product with x and 0.5.
        guard let argument = input(i, 0), let t = output(i), let (x, inner) = geluArgument(argument, tanh: approximate),
            let plus = onlyReader(t), arithmetic(plus, .add), let one = scalar(other(plus, than: t)), near(one, 1),
            let onePlus = output(plus), let (last, tail) = productTail(x: x, factor: onePlus)
        else { return nil }
        return PatternMatch(
            name: "Gelu", kernel: UnaryKernel(function: approximate ? .geluTanh : .gelu, type: .float), inputs: [x],
            consumed: inner.union(tail).union([i, plus]), at: last)
    }

    /// x and the steps computing the argument of GELU's Erf (x/√2, x·(1/√2)) or Tanh
    /// (√(2/π)·(x + 0.044715·x³)), the steps in a set.
    private func geluArgument(_ argument: Int, tanh: Bool) -> (Int, Set<Int>)? {
        guard !outputs.contains(argument), let p = producer[argument], readers[argument]?.count == 1,
            let operands = pair(p)
        else { return nil }
        if !tanh {
            // Div(x, √2) or Mul(x, 1/√2), the constant on either side of the Mul.
            if arithmetic(p, .div), let c = scalar(operands.1), near(c, 2.0.squareRoot()) { return (operands.0, [p]) }
            guard arithmetic(p, .mul) else { return nil }
            for (x, c) in [operands, (operands.1, operands.0)] {
                if let c = scalar(c), near(c, 0.5.squareRoot()) { return (x, [p]) }
            }
            return nil
        }
        guard arithmetic(p, .mul) else { return nil }
        for (inner, c) in [operands, (operands.1, operands.0)] {
            guard let c = scalar(c), near(c, (2 / Double.pi).squareRoot()), !outputs.contains(inner),
                readers[inner]?.count == 1, let add = producer[inner], arithmetic(add, .add), let terms = pair(add)
            else { continue }
            for (x, scaledCube) in [terms, (terms.1, terms.0)] {
                if let cube = cubeTerm(scaledCube, of: x) { return (x, cube.union([p, add])) }
            }
        }
        return nil
    }

    /// The steps of `0.044715 · x³` producing `v` (x³ as Pow(x, 3), x·(x·x) or (x·x)·x).
    private func cubeTerm(_ v: Int, of x: Int) -> Set<Int>? {
        guard single(v), let mul = producer[v], arithmetic(mul, .mul), let operands = pair(mul) else { return nil }
        for (cube, c) in [operands, (operands.1, operands.0)] {
            guard let c = scalar(c), near(c, 0.044715), single(cube), let p = producer[cube] else { continue }
            if isPow(p, of: x, exponent: 3) { return [mul, p] }
            guard arithmetic(p, .mul), let factors = pair(p) else { continue }
            for (a, b) in [factors, (factors.1, factors.0)] where a == x {
                guard single(b), let square = producer[b], arithmetic(square, .mul), steps[square].io.inputs == [x, x] else {
                    continue
                }
                return [mul, p, square]
            }
        }
        return nil
    }

    /// The last step and the steps of the product of x, `factor` and 0.5, in any grouping:
    /// (x·f)·0.5, (f·0.5)·x, (x·0.5)·f, each product in either order.
    private func productTail(x: Int, factor: Int) -> (Int, Set<Int>)? {
        guard !outputs.contains(factor), let first = onlyReader(factor), arithmetic(first, .mul),
            let other = other(first, than: factor), let result = output(first)
        else { return nil }
        if other == x || scalar(other).map({ near($0, 0.5) }) == true {
            // (x·f)·0.5 or (f·0.5)·x: one more product by the missing factor.
            guard !outputs.contains(result), let second = onlyReader(result), arithmetic(second, .mul),
                let last = self.other(second, than: result)
            else { return nil }
            let fits = other == x ? scalar(last).map { near($0, 0.5) } == true : last == x
            return fits ? (second, [first, second]) : nil
        }
        // (x·0.5)·f: the other factor is a product of x and 0.5 read only here.
        guard single(other), let half = producer[other], arithmetic(half, .mul), let operands = pair(half) else {
            return nil
        }
        for (a, c) in [operands, (operands.1, operands.0)] where a == x {
            if let c = scalar(c), near(c, 0.5) { return (first, [half, first]) }
        }
        return nil
    }

    // MARK: Matching helpers

    func input(_ i: Int, _ k: Int) -> Int? {
        let inputs = steps[i].io.inputs
        return k < inputs.count && inputs[k] >= 0 ? inputs[k] : nil
    }

    /// The step's one output.
    func output(_ i: Int) -> Int? {
        let outputs = steps[i].io.outputs
        return outputs.count == 1 && outputs[0] >= 0 ? outputs[0] : nil
    }

    /// The two inputs of a binary step.
    func pair(_ i: Int) -> (Int, Int)? {
        let inputs = steps[i].io.inputs
        return inputs.count == 2 && inputs[0] >= 0 && inputs[1] >= 0 ? (inputs[0], inputs[1]) : nil
    }

    /// The other input of a binary step that reads `v` once.
    func other(_ i: Int, than v: Int) -> Int? {
        guard let (a, b) = pair(i), a != b else { return nil }
        return a == v ? b : (b == v ? a : nil)
    }

    /// `v` is read by one step, once, and is not a graph output.
    func single(_ v: Int) -> Bool { !outputs.contains(v) && readers[v]?.count == 1 }

    /// The one step reading `v` (once), when `v` is not a graph output.
    func onlyReader(_ v: Int) -> Int? {
        guard single(v), let r = readers[v]?.first else { return nil }
        return r
    }

    func arithmetic(_ i: Int, _ op: ArithmeticKernel.Op) -> Bool {
        guard let k = steps[i].kernel as? ArithmeticKernel else { return false }
        return k.op == op && k.type == .float && k.legacyAxis == nil && output(i) != nil
    }

    func isSqrt(_ i: Int) -> Bool {
        guard let k = steps[i].kernel as? UnaryKernel, k.type == .float, case .sqrt = k.function else { return false }
        return output(i) != nil
    }

    /// Pow(base, c) of FP32 with c a scalar constant equal to `exponent`.
    func isPow(_ i: Int, of base: Int, exponent: Double) -> Bool {
        guard let k = steps[i].kernel as? PowKernel, k.baseType == .float, input(i, 0) == base, output(i) != nil,
            let c = scalar(input(i, 1))
        else { return false }
        return c == exponent
    }

    /// The value of a rank-0 FP32 (or, for exponents, any numeric) constant.
    func scalar(_ v: Int?) -> Double? {
        guard let v, let c = constants[v], c.shape.isEmpty, c.type != .string, c.type != .bool else { return nil }
        return c.doubles.first
    }

    /// A constant FP32 vector (γ, β): at most one dimension, so it broadcasts over the last axis
    /// without adding any.
    func vector(_ v: Int?) -> Bool {
        guard let v, let c = constants[v] else { return false }
        return c.type == .float && c.shape.count <= 1
    }

    func near(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-6 * abs(b) }
}
