import COpenBLAS
import SluiceCore

/// Einsum over float or double operands: the equation is parsed at load (explicit `->` or
/// implicit output, `...` ellipsis, repeated indices for diagonals); each request then
///
/// 1. folds every operand's repeated labels into a diagonal and sums out the labels no other
///    operand and not the output has (one strided pass, `EinsumTerm.reduced`);
/// 2. contracts the operands left to right, each pair as a batched matrix product through
///    BLAS (batch labels in both and kept, K labels in both and not kept, M and N labels in
///    one each). An operand already laid out as [batch, M, K] or [batch, K, M] (or
///    [batch, K, N] / [batch, N, K] for the right one) is read in place with the matching
///    transpose flag, which covers attention's "bhid,bhjd->bhij" and "bhij,bhjd->bhid" and
///    "bij,bjk->bik"; any other layout is copied once into [batch, M, K] / [batch, K, N];
/// 3. writes the result in the output's label order.
///
/// Ellipsis dimensions broadcast against each other (size 1 against n); a letter's sizes must
/// agree. Every intermediate's size is checked against the model's limits before it is made.
struct EinsumKernel: Kernel {
    let equation: EinsumEquation
    let type: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        guard n.inputTypes.count >= 1 else { throw n.fail("expected at least 1 input, found 0") }
        let t = try n.type(0, in: [.float, .double])
        for i in 1..<n.inputTypes.count where try n.type(i, in: [.float, .double]) != t {
            throw n.fail("input \(i) is \(try n.type(i)), input 0 is \(t): the operands share one type")
        }
        guard let text = n.attributes.string("equation") else { throw n.fail("attribute equation is required") }
        let equation: EinsumEquation
        do {
            equation = try EinsumEquation(text)
        } catch {
            throw n.fail("equation '\(text)': \(error.reason)")
        }
        guard equation.inputs.count == n.inputTypes.count else {
            throw n.fail("equation '\(text)' has \(equation.inputs.count) operands, the node \(n.inputTypes.count) inputs")
        }
        return Compiled(kernel: EinsumKernel(equation: equation, type: t), outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        switch type {
        case .float: try run(io, ws, Float.self)
        case .double: try run(io, ws, Double.self)
        default: break
        }
    }

    private func run<T: EinsumScalar>(_ io: NodeIO, _ ws: Workspace, _: T.Type) throws(ServingError) {
        let operands = (0..<equation.inputs.count).map { ws.input(io, $0) }
        let (labels, outputLabels) = try equation.labels(for: operands.map(\.shape), io)
        // Each label's size: the one every operand agrees on, 1 broadcasting for ellipsis labels.
        var size: [Int: Int] = [:]
        for (operand, ls) in zip(operands, labels) {
            for (d, label) in ls.enumerated() {
                let s = operand.shape[d]
                if let known = size[label], known != s {
                    guard label >= EinsumEquation.ellipsisBase, known == 1 || s == 1 else {
                        throw io.fail("label \(EinsumEquation.name(label)) is \(known) in one place and \(s) in another")
                    }
                    size[label] = Swift.max(known, s)
                } else if size[label] == nil {
                    size[label] = s
                }
            }
        }
        let limit = ws.limits.maxTensorElements
        func checked(_ ls: [Int]) throws(ServingError) -> [Int] {
            let shape = ls.map { size[$0] ?? 1 }
            guard Shape.count(shape, within: limit) != nil else { throw io.fail("an intermediate \(ws.limits.beyond(shape))") }
            return shape
        }
        // Step 1, operand by operand: diagonals and labels only this operand has.
        var terms: [EinsumTerm<T>] = []
        for (k, operand) in operands.enumerated() {
            var term = EinsumTerm<T>(borrowing: operand.pointer(T.self), shape: operand.shape, labels: labels[k])
            var elsewhere = Set(outputLabels)
            for (j, other) in labels.enumerated() where j != k { elsewhere.formUnion(other) }
            var unique: [Int] = []
            for l in labels[k] where !unique.contains(l) { unique.append(l) }
            let kept = unique.filter { elsewhere.contains($0) }
            if kept != labels[k] || zip(labels[k], operand.shape).contains(where: { size[$0] != $1 }) {
                term = term.reduced(keeping: kept, shape: try checked(kept), sizes: size)
            }
            terms.append(term)
        }
        // Step 2: pairs, left to right.
        while terms.count > 1 {
            let a = terms.removeFirst(), b = terms.removeFirst()
            var later = Set(outputLabels)
            for t in terms { later.formUnion(t.labels) }
            terms.insert(try contract(a, b, keep: later, size: size, checked: checked, io), at: 0)
        }
        // Step 3: the output order (and any sum a lone operand still needs).
        let shape = try checked(outputLabels)
        let out = try ws.output(io, 0, type, shape, as: T.self)
        terms[0].reduce(keeping: outputLabels, sizes: size, into: out)
    }

    /// A · B over their shared labels; the result's labels are [batch, M, N].
    private func contract<T: EinsumScalar>(
        _ a: EinsumTerm<T>, _ b: EinsumTerm<T>, keep: Set<Int>, size: [Int: Int],
        checked: ([Int]) throws(ServingError) -> [Int], _ io: NodeIO
    ) throws(ServingError) -> EinsumTerm<T> {
        let shared = a.labels.filter { b.labels.contains($0) }
        let batch = shared.filter { keep.contains($0) }, inner = shared.filter { !keep.contains($0) }
        let left = a.labels.filter { !shared.contains($0) }, right = b.labels.filter { !shared.contains($0) }
        let count = { (ls: [Int]) in ls.reduce(1) { $0 * (size[$1] ?? 1) } }
        let batches = count(batch), m = count(left), n = count(right), k = count(inner)
        let resultLabels = batch + left + right
        _ = try checked(resultLabels)
        // In place when the layout already is one a transpose flag covers and nothing broadcasts.
        let (pa, transA, ownA) = try a.laid(out: [batch + left + inner, batch + inner + left], sizes: size, checked: checked)
        let (pb, transB, ownB) = try b.laid(out: [batch + inner + right, batch + right + inner], sizes: size, checked: checked)
        let result = EinsumTerm<T>(owning: batches * m * n, shape: resultLabels.map { size[$0] ?? 1 }, labels: resultLabels)
        for i in 0..<batches {
            T.gemm(
                transA: transA, transB: transB, m: m, n: n, k: k, pa + i * m * k, lda: transA ? m : k, pb + i * k * n,
                ldb: transB ? k : n, result.pointer + i * m * n, ldc: n)
        }
        withExtendedLifetime((ownA, ownB)) {}
        return result
    }
}

/// An operand or intermediate of an Einsum: contiguous row-major elements, one label per
/// dimension (after step 1, no label twice). It owns its elements, or borrows a request input.
struct EinsumTerm<T: EinsumScalar> {
    let labels: [Int]
    let shape: [Int]
    let pointer: UnsafeMutablePointer<T>
    let storage: EinsumStorage<T>?

    init(borrowing p: UnsafePointer<T>, shape: [Int], labels: [Int]) {
        pointer = UnsafeMutablePointer(mutating: p)
        self.shape = shape
        self.labels = labels
        storage = nil
    }

    init(owning count: Int, shape: [Int], labels: [Int]) {
        let s = EinsumStorage<T>(count: count)
        storage = s
        pointer = s.pointer
        self.shape = shape
        self.labels = labels
    }

    /// The elements summed over every label not in `keeping`, repeated labels read along their
    /// diagonal, laid out in `keeping`'s order with `sizes` (a size-1 dimension broadcasts).
    func reduced(keeping: [Int], shape: [Int], sizes: [Int: Int]) -> EinsumTerm {
        let result = EinsumTerm(owning: shape.reduce(1, *), shape: shape, labels: keeping)
        reduce(keeping: keeping, sizes: sizes, into: result.pointer)
        return result
    }

    /// `reduced` into `out`.
    func reduce(keeping: [Int], sizes: [Int: Int], into out: UnsafeMutablePointer<T>) {
        // A label's stride in this term: the sum over its dimensions (a diagonal steps all at
        // once), 0 where its dimension is 1 and the label larger (broadcast).
        let strides = Axis.strides(shape)
        func stride(_ label: Int) -> Int {
            var s = 0
            for (d, l) in labels.enumerated() where l == label && !(shape[d] == 1 && (sizes[label] ?? 1) > 1) { s += strides[d] }
            return s
        }
        var summed: [Int] = []
        for l in labels where !keeping.contains(l) && !summed.contains(l) { summed.append(l) }
        let keptSizes = keeping.map { sizes[$0] ?? 1 }, keptStrides = keeping.map(stride)
        let sumSizes = summed.map { sizes[$0] ?? 1 }, sumStrides = summed.map(stride)
        let total = keptSizes.reduce(1, *), inner = sumSizes.reduce(1, *)
        var index = [Int](repeating: 0, count: keeping.count)
        var offset = 0
        for o in 0..<total {
            if summed.isEmpty {
                out[o] = pointer[offset]
            } else {
                var s: T = 0
                var sumIndex = [Int](repeating: 0, count: summed.count)
                var at = offset
                for _ in 0..<inner {
                    s += pointer[at]
                    at = Self.step(&sumIndex, sumSizes, sumStrides, at)
                }
                out[o] = s
            }
            offset = Self.step(&index, keptSizes, keptStrides, offset)
        }
    }

    /// Advances a row-major multi-index by one, returning the moved offset.
    @inline(__always)
    private static func step(_ index: inout [Int], _ sizes: [Int], _ strides: [Int], _ offset: Int) -> Int {
        var offset = offset
        var d = index.count - 1
        while d >= 0 {
            index[d] += 1
            offset += strides[d]
            if index[d] < sizes[d] { return offset }
            offset -= strides[d] * sizes[d]
            index[d] = 0
            d -= 1
        }
        return offset
    }

    /// The elements in the first of `layouts` (or, read in place, the second: transposed), and
    /// whether it is the second, and the storage that must outlive their use.
    func laid(
        out layouts: [[Int]], sizes: [Int: Int], checked: ([Int]) throws(ServingError) -> [Int]
    ) throws(ServingError) -> (UnsafePointer<T>, Bool, EinsumStorage<T>?) {
        let full = zip(labels, shape).allSatisfy { sizes[$0] == $1 }
        if full, let k = layouts.firstIndex(of: labels) { return (UnsafePointer(pointer), k == 1, storage) }
        let copy = reduced(keeping: layouts[0], shape: try checked(layouts[0]), sizes: sizes)
        return (UnsafePointer(copy.pointer), false, copy.storage)
    }
}

/// Memory an Einsum intermediate owns, freed with the last term that holds it.
final class EinsumStorage<T> {
    let pointer: UnsafeMutablePointer<T>

    init(count: Int) { pointer = .allocate(capacity: Swift.max(count, 1)) }

    deinit { pointer.deallocate() }
}

/// Float and Double, each with its BLAS product.
protocol EinsumScalar: BinaryFloatingPoint {
    /// `C = A'·B'` (row-major), C's `m × n` all written (zeros when k is 0).
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, _ a: UnsafePointer<Self>, lda: Int,
        _ b: UnsafePointer<Self>, ldb: Int, _ c: UnsafeMutablePointer<Self>, ldc: Int)
}

extension Float: EinsumScalar {
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int,
        _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, c, ldc: ldc)
    }
}

extension Double: EinsumScalar {
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, _ a: UnsafePointer<Double>, lda: Int,
        _ b: UnsafePointer<Double>, ldb: Int, _ c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = 0 } }
            return
        }
        cblas_dgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), 1, a, blasint(lda), b, blasint(ldb), 0, c, blasint(ldc))
    }
}
