import SluiceCore

/// StringNormalizer (opset 10): drops the `stopwords` (compared case-insensitively unless
/// `is_case_sensitive`) from a [C] or [1, C] string tensor and lower- or upper-cases the rest
/// (`case_change_action`), one Unicode scalar at a time as onnxruntime's `towlower`/`towupper`
/// do (a scalar whose case mapping is more than one scalar, such as ß, is kept). When every
/// string is dropped the answer is one empty string ([1] or [1, 1]); no strings give none.
struct StringNormalizerKernel: Kernel {
    enum Change: Sendable { case none, lower, upper }
    let change: Change
    let caseSensitive: Bool
    /// As compared: lower-cased unless `caseSensitive`.
    let stopwords: Set<[UInt8]>

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: [.string])
        let a = n.attributes
        let changes: [String: Change] = ["NONE": .none, "LOWER": .lower, "UPPER": .upper]
        guard let change = changes[a.string("case_change_action") ?? "NONE"] else {
            throw n.fail("case_change_action must be NONE, LOWER or UPPER")
        }
        // The case mappings are Unicode's, the same in every locale onnxruntime accepts
        // except Turkish and Azeri's dotted i, which are refused.
        let locale = a.string("locale") ?? "en_US"
        guard !locale.hasPrefix("tr"), !locale.hasPrefix("az") else { throw n.fail("locale '\(locale)' is not supported") }
        let caseSensitive = a.int("is_case_sensitive", default: 0) != 0
        var stopwords: Set<[UInt8]> = []
        for word in a.strings("stopwords") ?? [] {
            stopwords.insert(caseSensitive ? Array(word.utf8) : Self.map(Array(word.utf8), .lower) ?? Array(word.utf8))
        }
        let kernel = StringNormalizerKernel(change: change, caseSensitive: caseSensitive, stopwords: stopwords)
        return Compiled(kernel: kernel, outputTypes: [.string])
    }

    /// `bytes` with each scalar's case changed; nil when they are not UTF-8.
    static func map(_ bytes: [UInt8], _ change: Change) -> [UInt8]? {
        guard change != .none else { return bytes }
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let mapped = change == .lower ? scalar.properties.lowercaseMapping : scalar.properties.uppercaseMapping
            let scalars = mapped.unicodeScalars
            if scalars.count == 1, let first = scalars.first { out.append(first) } else { out.append(scalar) }
        }
        return Array(String(out).utf8)
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        guard x.rank == 1 || (x.rank == 2 && x.shape[0] == 1) else { throw io.fail("input \(x.shape) must be [C] or [1, C]") }
        var kept: [[UInt8]] = []
        for index in x.buffer(Int64.self) {
            let s = ws.string(index)
            if !stopwords.isEmpty {
                guard let key = caseSensitive ? s : Self.map(s, .lower) else { throw io.fail("a string is not UTF-8") }
                if stopwords.contains(key) { continue }
            }
            guard let mapped = Self.map(s, change) else { throw io.fail("a string is not UTF-8") }
            kept.append(mapped)
        }
        // Every string dropped: one empty string, as onnxruntime answers. An empty input (a
        // batch of no rows; onnxruntime refuses it) stays empty.
        if kept.isEmpty, x.count > 0 { kept = [[]] }
        let out = try ws.output(io, 0, .string, x.rank == 1 ? [kept.count] : [1, kept.count], as: Int64.self)
        let first = ws.intern(kept)
        for i in 0..<kept.count { out[i] = first + Int64(i) }
    }
}

/// com.microsoft Tokenizer, as skl2onnx emits it before a TfIdfVectorizer: splits each string
/// of an [N] or [N, C] tensor at its `separators` (literal strings; a regular expression's
/// escaped punctuation such as `\?` is read as the character), keeps tokens of at least
/// `mincharnum` characters, optionally between start and end marks (`mark`: U+0002, U+0003),
/// and pads the rows to the longest with `pad_value`: [N, D] or [N, C, D]. A `tokenexp`
/// (a regular expression the tokens match) and separators that are real regular expressions
/// are refused at load.
struct TokenizerKernel: Kernel {
    let separators: [[UInt8]]
    let mark: Bool
    let minimum: Int
    let pad: [UInt8]

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: [.string])
        let a = n.attributes
        if a.string("tokenexp") != nil {
            throw n.fail("tokenexp (a regular expression) is not supported; export the TfidfVectorizer with skl2onnx options {'tokenexp': None, 'separators': [' ', ',', ...]}")
        }
        guard let mark = a.int("mark"), let minimum = a.int("mincharnum"), minimum >= 1, let pad = a.string("pad_value") else {
            throw n.fail("mark, mincharnum (at least 1) and pad_value are required")
        }
        guard let given = a.strings("separators"), !given.isEmpty else { throw n.fail("separators are required") }
        var separators: [[UInt8]] = []
        for s in given {
            guard let literal = Self.literal(s), !literal.isEmpty else {
                throw n.fail("separator '\(s)' is a regular expression, which is not supported (only literal text, with \\ before punctuation)")
            }
            separators.append(literal)
        }
        let kernel = TokenizerKernel(separators: separators, mark: mark != 0, minimum: minimum, pad: Array(pad.utf8))
        return Compiled(kernel: kernel, outputTypes: [.string])
    }

    /// The text a regular expression without operators matches; nil when it has operators.
    static func literal(_ pattern: String) -> [UInt8]? {
        let operators = Set("^$.|?*+()[]{}")
        var out = ""
        var escaped = false
        for c in pattern {
            if escaped {
                guard !c.isLetter, !c.isNumber else { return nil }  // \d, \s, \1 ...
                out.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if operators.contains(c) {
                return nil
            } else {
                out.append(c)
            }
        }
        return escaped ? nil : Array(out.utf8)
    }

    /// The tokens of one string.
    private func tokens(_ s: [UInt8]) -> [[UInt8]] {
        var result: [[UInt8]] = []
        func keep(_ token: ArraySlice<UInt8>) {
            // Characters, not bytes: UTF-8 continuation bytes do not count.
            if token.lazy.filter({ $0 & 0xC0 != 0x80 }).count >= minimum { result.append(Array(token)) }
        }
        var start = 0, i = 0
        while i < s.count {
            let byte = s[i]
            if let sep = separators.first(where: { $0[0] == byte && i + $0.count <= s.count && s[i..<(i + $0.count)].elementsEqual($0) }) {
                keep(s[start..<i])
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        keep(s[start..<s.count])
        return result
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        guard x.rank == 1 || x.rank == 2 else { throw io.fail("input \(x.shape) must be [N] or [N, C]") }
        var rows: [[[UInt8]]] = []
        rows.reserveCapacity(x.count)
        var width = 0
        for index in x.buffer(Int64.self) {
            var t = tokens(ws.string(index))
            if mark { t = [[0x02]] + t + [[0x03]] }
            width = max(width, t.count)
            rows.append(t)
        }
        let out = try ws.output(io, 0, .string, x.shape + [width], as: Int64.self)
        let padIndex = ws.intern(pad)
        for (r, row) in rows.enumerated() {
            let first = ws.intern(row)
            for j in 0..<width { out[r * width + j] = j < row.count ? first + Int64(j) : padIndex }
        }
    }
}
