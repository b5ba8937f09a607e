extension HeaderPattern {
    /// A parsed pattern, before it becomes a program.
    indirect enum Node: Sendable, Equatable {
        case empty
        case scalar(UInt32)
        case any
        /// A class, by index into the parser's `sets`.
        case set(Int)
        case start
        case end
        case sequence([Node])
        case alternatives([Node])
        /// `max` nil: no upper bound.
        case repeated(Node, min: Int, max: Int?)
    }

    /// A recursive-descent parser over the pattern's Unicode scalars. Its grammar is the README's
    /// list; every construct outside it is refused with its offset and what it is.
    struct Parser {
        private let scalars: [UInt32]
        private var i = 0
        private var depth = 0
        private(set) var sets: [ScalarSet] = []

        init(_ source: String) {
            scalars = source.unicodeScalars.map(\.value)
        }

        mutating func parse() throws(SyntaxError) -> Node {
            let node = try alternation()
            if i < scalars.count { throw SyntaxError(reason: "unmatched ')'", offset: i) }
            return node
        }

        private var peek: UInt32? { i < scalars.count ? scalars[i] : nil }
        private func peek(_ ahead: Int) -> UInt32? { i + ahead < scalars.count ? scalars[i + ahead] : nil }
        private static func ascii(_ c: Character) -> UInt32 { c.unicodeScalars.first.unsafelyUnwrapped.value }

        private mutating func alternation() throws(SyntaxError) -> Node {
            var branches = [try sequence()]
            while peek == Self.ascii("|") {
                i += 1
                branches.append(try sequence())
            }
            return branches.count == 1 ? branches[0] : .alternatives(branches)
        }

        private mutating func sequence() throws(SyntaxError) -> Node {
            var items: [Node] = []
            while let c = peek, c != Self.ascii("|"), c != Self.ascii(")") {
                items.append(try quantified(try atom()))
            }
            switch items.count {
            case 0: return .empty
            case 1: return items[0]
            default: return .sequence(items)
            }
        }

        /// `atom` followed by at most one quantifier (and its optional lazy `?`, which cannot
        /// change whether a whole value matches).
        private mutating func quantified(_ atom: Node) throws(SyntaxError) -> Node {
            let at = i
            guard let bounds = try quantifier() else { return atom }
            if peek == Self.ascii("?") { i += 1 }
            if try quantifier() != nil {
                throw SyntaxError(reason: "a quantifier cannot follow another (possessive and stacked quantifiers are not supported)", offset: at)
            }
            return .repeated(atom, min: bounds.min, max: bounds.max)
        }

        /// `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}` or `{,n}` at the current position, consumed;
        /// nil (nothing consumed) when there is none, as a `{` that starts no count is a literal.
        private mutating func quantifier() throws(SyntaxError) -> (min: Int, max: Int?)? {
            switch peek {
            case Self.ascii("*"): i += 1; return (0, nil)
            case Self.ascii("+"): i += 1; return (1, nil)
            case Self.ascii("?"): i += 1; return (0, 1)
            case Self.ascii("{"):
                var j = i + 1
                let low = try count(&j)
                var high = low
                if j < scalars.count, scalars[j] == Self.ascii(",") {
                    j += 1
                    high = try count(&j)
                } else if low == nil {
                    return nil
                }
                guard j < scalars.count, scalars[j] == Self.ascii("}"), low != nil || high != nil else { return nil }
                let min = low ?? 0
                if let high, high < min { throw SyntaxError(reason: "{\(min),\(high)}: the upper count is below the lower", offset: i) }
                i = j + 1
                return (min, high)
            default:
                return nil
            }
        }

        /// Decimal digits at `j`, at most `maxRepeat`; nil when there are none.
        private func count(_ j: inout Int) throws(SyntaxError) -> Int? {
            var value: Int?
            while j < scalars.count, (0x30...0x39).contains(scalars[j]) {
                let digit = Int(scalars[j] - 0x30)
                let next = (value ?? 0) * 10 + digit
                guard next <= HeaderPattern.maxRepeat else {
                    throw SyntaxError(reason: "a repetition count above \(HeaderPattern.maxRepeat)", offset: j)
                }
                value = next
                j += 1
            }
            return value
        }

        private mutating func atom() throws(SyntaxError) -> Node {
            let at = i
            let c = scalars[i]
            i += 1
            switch c {
            case Self.ascii("("): return try group(at)
            case Self.ascii("["): return try set(at)
            case Self.ascii("."): return .any
            case Self.ascii("^"): return .start
            case Self.ascii("$"): return .end
            case Self.ascii("\\"): return try escape(at, inSet: false)
            case Self.ascii("*"), Self.ascii("+"), Self.ascii("?"):
                throw SyntaxError(reason: "nothing to repeat", offset: at)
            case Self.ascii("{"):
                i = at
                if try quantifier() != nil { throw SyntaxError(reason: "nothing to repeat", offset: at) }
                i = at + 1
                return .scalar(c)
            default:
                return .scalar(c)
            }
        }

        /// `(…)` or `(?:…)`, after its `(` at `at`.
        private mutating func group(_ at: Int) throws(SyntaxError) -> Node {
            if peek == Self.ascii("?") {
                guard peek(1) == Self.ascii(":") else {
                    let kind: String
                    switch (peek(1), peek(2)) {
                    case (Self.ascii("="), _), (Self.ascii("!"), _): kind = "lookahead"
                    case (Self.ascii("<"), Self.ascii("=")), (Self.ascii("<"), Self.ascii("!")): kind = "lookbehind"
                    case (Self.ascii("<"), _), (Self.ascii("P"), _), (Self.ascii("'"), _): kind = "named groups"
                    default: kind = "(?…) flags and group kinds other than (?:…)"
                    }
                    throw SyntaxError(reason: "\(kind) are not supported", offset: at)
                }
                i += 2
            }
            depth += 1
            guard depth <= HeaderPattern.maxNesting else {
                throw SyntaxError(reason: "groups nested more than \(HeaderPattern.maxNesting) deep", offset: at)
            }
            let inner = try alternation()
            guard peek == Self.ascii(")") else { throw SyntaxError(reason: "missing ')' for the '(' here", offset: at) }
            i += 1
            depth -= 1
            return inner
        }

        /// A class `[…]` or `[^…]`, after its `[` at `at`: scalars, ranges `a-z` and `\d \w \s`
        /// (and their negations); a `-` first or last is a literal.
        private mutating func set(_ at: Int) throws(SyntaxError) -> Node {
            var negated = false
            if peek == Self.ascii("^") {
                negated = true
                i += 1
            }
            var ranges: [ClosedRange<UInt32>] = []
            while true {
                guard let c = peek else { throw SyntaxError(reason: "missing ']' for the '[' here", offset: at) }
                if c == Self.ascii("]") {
                    // As Swift's Regex: a `]` first does not stand for itself (escape it).
                    if i == at + 1 || (negated && i == at + 2) { throw SyntaxError(reason: "an empty class", offset: at) }
                    break
                }
                let itemAt = i
                if c == Self.ascii("[") {
                    throw SyntaxError(reason: "nested classes and [:name:] are not supported", offset: itemAt)
                }
                if (c == Self.ascii("&") || c == Self.ascii("~")) && peek(1) == c {
                    throw SyntaxError(reason: "class set operations are not supported", offset: itemAt)
                }
                i += 1
                let low: UInt32
                if c == Self.ascii("\\") {
                    switch try escape(itemAt, inSet: true) {
                    case .scalar(let s): low = s
                    case .set(let index):
                        // Folded into this class: the escape's own set is not kept.
                        let escaped = sets.removeLast()
                        assert(index == sets.count)
                        ranges += escaped.negated ? Self.complement(escaped.ranges) : escaped.ranges
                        continue
                    default: continue
                    }
                } else {
                    low = c
                }
                guard peek == Self.ascii("-"), let after = peek(1), after != Self.ascii("]") else {
                    ranges.append(low...low)
                    continue
                }
                i += 1
                let high: UInt32
                if after == Self.ascii("\\") {
                    let endAt = i
                    i += 1
                    guard case .scalar(let s) = try escape(endAt, inSet: true) else {
                        throw SyntaxError(reason: "a class escape cannot end a range", offset: endAt)
                    }
                    high = s
                } else {
                    if after == Self.ascii("[") {
                        throw SyntaxError(reason: "nested classes and [:name:] are not supported", offset: i)
                    }
                    high = after
                    i += 1
                }
                guard low <= high else { throw SyntaxError(reason: "a range out of order", offset: itemAt) }
                ranges.append(low...high)
            }
            i += 1
            return .set(add(ScalarSet(ranges: Self.merged(ranges), negated: negated)))
        }

        /// The escape after a `\` at `at`: a scalar, or a class (`\d \w \s` and negations).
        private mutating func escape(_ at: Int, inSet: Bool) throws(SyntaxError) -> Node {
            guard let c = peek else { throw SyntaxError(reason: "a trailing backslash", offset: at) }
            i += 1
            switch c {
            case Self.ascii("d"), Self.ascii("D"), Self.ascii("w"), Self.ascii("W"), Self.ascii("s"), Self.ascii("S"):
                let lower = c | 0x20
                let ranges: [ClosedRange<UInt32>] =
                    lower == Self.ascii("d") ? [0x30...0x39]
                    : lower == Self.ascii("w") ? [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
                    : [0x09...0x0D, 0x20...0x20]
                return .set(add(ScalarSet(ranges: ranges, negated: c != lower)))
            case Self.ascii("t"): return .scalar(0x09)
            case Self.ascii("n"): return .scalar(0x0A)
            case Self.ascii("r"): return .scalar(0x0D)
            case Self.ascii("f"): return .scalar(0x0C)
            case Self.ascii("v"): return .scalar(0x0B)
            case Self.ascii("x"):
                var value: UInt32 = 0
                for _ in 0..<2 {
                    guard let h = peek, let digit = Self.hex(h) else {
                        throw SyntaxError(reason: "\\x takes two hexadecimal digits", offset: at)
                    }
                    value = value * 16 + digit
                    i += 1
                }
                return .scalar(value)
            case 0x31...0x39, Self.ascii("k"), Self.ascii("g"):
                throw SyntaxError(reason: "backreferences are not supported", offset: at)
            case Self.ascii("b"), Self.ascii("B"), Self.ascii("A"), Self.ascii("z"), Self.ascii("Z"), Self.ascii("G"):
                throw SyntaxError(reason: "anchors other than ^ and $ are not supported", offset: at)
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A:
                throw SyntaxError(reason: "the escape \\\(String(UnicodeScalar(UInt8(c)))) is not supported", offset: at)
            default:
                return .scalar(c)
            }
        }

        private mutating func add(_ set: ScalarSet) -> Int {
            sets.append(set)
            return sets.count - 1
        }

        private static func hex(_ c: UInt32) -> UInt32? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }

        /// Sorted, with overlapping and touching ranges joined.
        static func merged(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
            var result: [ClosedRange<UInt32>] = []
            for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
                if let last = result.last, range.lowerBound <= last.upperBound &+ 1 {
                    result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
                } else {
                    result.append(range)
                }
            }
            return result
        }

        /// Every scalar value outside `ranges` (sorted and disjoint).
        static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
            var result: [ClosedRange<UInt32>] = []
            var next: UInt32 = 0
            for range in ranges {
                if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
                next = range.upperBound + 1
            }
            if next <= 0x10FFFF { result.append(next...0x10FFFF) }
            return result
        }
    }
}
