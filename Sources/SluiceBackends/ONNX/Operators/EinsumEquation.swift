import SluiceCore

/// An Einsum equation parsed at load: per operand its labels in order, -1 where its ellipsis
/// stands, and the output's, given after `->` or implicit (the ellipsis, then the letters
/// that appear once, in ASCII order, as numpy.einsum). Spaces are ignored. Letters are labels
/// 0..<52 in ASCII order (A–Z, then a–z); ellipsis dimensions become labels from
/// `ellipsisBase` on when the operands' ranks are known (`labels(for:_:)`).
struct EinsumEquation: Sendable {
    static let ellipsis = -1
    static let ellipsisBase = 52

    struct Problem: Error {
        let reason: String
    }

    let inputs: [[Int]]
    let output: [Int]

    init(_ text: String) throws(Problem) {
        var sides: [Substring] = []
        var rest = Substring(text.filter { $0 != " " })
        while let arrow = rest.firstRange(of: "->") {
            sides.append(rest[..<arrow.lowerBound])
            rest = rest[arrow.upperBound...]
        }
        sides.append(rest)
        guard sides.count <= 2 else { throw Problem(reason: "more than one '->'") }
        inputs = try sides[0].split(separator: ",", omittingEmptySubsequences: false).map { term throws(Problem) in try Self.term(term) }
        if sides.count == 2 {
            output = try Self.term(sides[1])
            for l in output where l != Self.ellipsis {
                guard output.filter({ $0 == l }).count == 1 else { throw Problem(reason: "output label \(Self.name(l)) appears twice") }
                guard inputs.contains(where: { $0.contains(l) }) else {
                    throw Problem(reason: "output label \(Self.name(l)) is in no operand")
                }
            }
            if output.contains(Self.ellipsis), !inputs.contains(where: { $0.contains(Self.ellipsis) }) {
                throw Problem(reason: "the output has '...', no operand has")
            }
        } else {
            let all = inputs.flatMap { $0 }.filter { $0 != Self.ellipsis }
            let once = Set(all).filter { l in all.filter { $0 == l }.count == 1 }.sorted()
            output = (inputs.contains { $0.contains(Self.ellipsis) } ? [Self.ellipsis] : []) + once
        }
    }

    private static func term(_ s: Substring) throws(Problem) -> [Int] {
        var labels: [Int] = []
        var rest = s[...]
        while let c = rest.first {
            if rest.hasPrefix("...") {
                guard !labels.contains(ellipsis) else { throw Problem(reason: "'...' appears twice in one term") }
                labels.append(ellipsis)
                rest = rest.dropFirst(3)
                continue
            }
            guard let a = c.asciiValue, c.isLetter else { throw Problem(reason: "'\(c)' is not a letter or '...'") }
            labels.append(a <= 90 ? Int(a) - 65 : Int(a) - 97 + 26)
            rest = rest.dropFirst()
        }
        return labels
    }

    /// A label's letter, or "...k" for the k-th ellipsis dimension.
    static func name(_ label: Int) -> String {
        if label >= ellipsisBase { return "...\(label - ellipsisBase)" }
        return String(UnicodeScalar(UInt8(label < 26 ? label + 65 : label - 26 + 97)))
    }

    /// Every operand's labels, one per dimension, and the output's, for these shapes: each
    /// ellipsis stands for its operand's dimensions the letters leave, right-aligned over the
    /// widest ellipsis (so they broadcast as numpy's do).
    func labels(for shapes: [[Int]], _ io: NodeIO) throws(ServingError) -> ([[Int]], [Int]) {
        var width = 0
        for (term, shape) in zip(inputs, shapes) {
            let letters = term.filter { $0 != Self.ellipsis }.count
            if term.contains(Self.ellipsis) {
                guard shape.count >= letters else {
                    throw io.fail("an operand of rank \(shape.count) cannot hold the \(letters) labels of its term")
                }
                width = Swift.max(width, shape.count - letters)
            } else if shape.count != letters {
                throw io.fail("an operand of rank \(shape.count) has a term of \(letters) labels")
            }
        }
        func expand(_ term: [Int], count: Int) -> [Int] {
            term.flatMap { $0 == Self.ellipsis ? Array((Self.ellipsisBase + width - count)..<(Self.ellipsisBase + width)) : [$0] }
        }
        let operands = zip(inputs, shapes).map { term, shape in
            expand(term, count: shape.count - term.filter { $0 != Self.ellipsis }.count)
        }
        return (operands, expand(output, count: width))
    }
}
