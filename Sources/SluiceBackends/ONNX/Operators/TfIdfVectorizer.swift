import SluiceCore

/// TfIdfVectorizer (opset 9): counts the pool's n-grams (of `min_gram_length` through
/// `max_gram_length` items, with up to `max_skip_count` items skipped between them) in each row
/// of strings or integers, and answers the counts (TF), their weights where present (IDF), or
/// both multiplied (TFIDF), at the columns `ngram_indexes` gives. Follows onnxruntime's walk:
/// unigrams are counted once, longer n-grams once per skip distance.
struct TfIdfVectorizerKernel: Kernel {
    enum Mode: Sendable { case tf, idf, tfidf }
    /// Each pool n-gram (as keys) → its column.
    let columns: [[LookupKey]: Int]
    let width: Int
    let minLength: Int
    let maxLength: Int
    let maxSkip: Int
    let mode: Mode
    let weights: [Float]
    let type: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        let a = n.attributes
        let modes: [String: Mode] = ["TF": .tf, "IDF": .idf, "TFIDF": .tfidf]
        guard let mode = modes[a.string("mode") ?? ""] else { throw n.fail("mode must be TF, IDF or TFIDF") }
        guard let minLength = a.int("min_gram_length"), let maxLength = a.int("max_gram_length"),
            let maxSkip = a.int("max_skip_count"), 1 <= minLength, minLength <= maxLength, maxSkip >= 0,
            maxLength <= 64, maxSkip <= n.limits.maxTensorElements
        else { throw n.fail("min_gram_length, max_gram_length and max_skip_count must be given with 1 ≤ min ≤ max ≤ 64, skip ≥ 0") }
        let pool: [LookupKey]
        let type: ElementType
        switch (a.strings("pool_strings"), a.ints("pool_int64s")) {
        case (let s?, nil):
            type = try n.type(0, in: [.string])
            pool = s.map { .text(Array($0.utf8)) }
        case (nil, let i?):
            type = try n.type(0, in: [.int64, .int32])
            pool = i.map { .integer(Int64($0)) }
        default: throw n.fail("exactly one of pool_strings and pool_int64s is required")
        }
        let counts = a.ints("ngram_counts") ?? []
        let indexes = a.ints("ngram_indexes") ?? []
        let weights = a.floats("weights") ?? []
        guard let last = indexes.max(), indexes.allSatisfy({ $0 >= 0 }), last < n.limits.maxTensorElements else {
            throw n.fail("ngram_indexes must be non-empty and non-negative")
        }
        let width = last + 1
        guard weights.isEmpty || weights.count >= width else {
            throw n.fail("weights has \(weights.count) values; ngram_indexes need \(width)")
        }
        // ngram_counts[k] is where the (k+1)-grams start in the pool; ids run over every
        // n-gram in pool order, those of unused lengths included.
        var columns: [[LookupKey]: Int] = [:]
        var id = 0
        for (k, start) in counts.enumerated() {
            let size = k + 1
            let end = k + 1 < counts.count ? counts[k + 1] : pool.count
            guard 0 <= start, start <= end, end <= pool.count else { throw n.fail("ngram_counts \(counts) do not fit the pool") }
            let grams = (end - start) / size
            guard size >= minLength, size <= maxLength else {
                id += grams
                continue
            }
            for g in 0..<grams {
                guard id < indexes.count else { throw n.fail("ngram_indexes has \(indexes.count) values; the pool has more n-grams") }
                columns[Array(pool[(start + g * size)..<(start + (g + 1) * size)])] = indexes[id]
                id += 1
            }
        }
        let kernel = TfIdfVectorizerKernel(
            columns: columns, width: width, minLength: minLength, maxLength: maxLength, maxSkip: maxSkip, mode: mode,
            weights: weights, type: type)
        return Compiled(kernel: kernel, outputTypes: [.float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        guard x.rank <= 2 else { throw io.fail("input \(x.shape) must be [C] or [N, C]") }
        let rows = x.rank == 2 ? x.shape[0] : 1
        let length = x.rank == 0 ? 1 : x.shape[x.rank - 1]
        let out = try ws.output(io, 0, .float, x.rank == 2 ? [rows, width] : [width], as: Float.self)
        out.initialize(repeating: 0, count: rows * width)
        var items = [LookupKey](repeating: .integer(0), count: length)
        for r in 0..<rows {
            for j in 0..<length {
                let i = r * length + j
                switch type {
                case .string: items[j] = .text(ws.string(x.pointer(Int64.self)[i]))
                case .int32: items[j] = .integer(Int64(x.pointer(Int32.self)[i]))
                default: items[j] = .integer(x.pointer(Int64.self)[i])
                }
            }
            count(items, into: out + r * width)
        }
        let total = rows * width
        switch mode {
        case .tf: break
        case .idf:
            for i in 0..<total where out[i] > 0 { out[i] = weights.isEmpty ? 1 : weights[i % width] }
        case .tfidf:
            if !weights.isEmpty { for i in 0..<total { out[i] *= weights[i % width] } }
        }
    }

    /// Adds one row's n-gram counts to `row`.
    private func count(_ items: [LookupKey], into row: UnsafeMutablePointer<Float>) {
        var start = minLength
        for skip in 1...(maxSkip + 1) {
            // From here on no n-gram of two or more items fits (unigrams were counted at 1).
            if skip > 1, skip >= items.count { break }
            for first in 0..<items.count {
                // The first n-gram counted must fit: first + skip·(start−1) < count.
                guard (start - 1) <= (items.count - 1 - first) / skip else { break }
                var gram: [LookupKey] = []
                var item = first
                while gram.count < maxLength, item < items.count {
                    gram.append(items[item])
                    if gram.count >= start, let column = columns[gram] { row[column] += 1 }
                    item += skip
                }
            }
            if start == 1 {
                // Unigrams do not depend on the skip: counted at the first distance only.
                start = 2
                if start > maxLength { break }
            }
        }
    }
}
