/// A regular expression over a header value (`header_regex`), compiled once when its route is
/// loaded and matched in linear time: a Thompson NFA simulated over a compiled program (Pike's
/// VM without captures), so a match costs at most the value's length × the program's size —
/// never the exponential backtracking that `(a|aa)+b` forced on a backtracking engine.
///
/// The syntax is a documented subset of the usual one (README "Routing and canaries"); anything
/// outside it (backreferences, lookaround, flags, possessive quantifiers) is refused at load by
/// `init`. The compiled program is immutable, so every loop matches the same value at once with
/// no lock; a match keeps its small state on the stack.
package struct HeaderPattern: Sendable, Equatable {
    package let source: String
    let program: [Instruction]
    let sets: [ScalarSet]

    /// The largest `n` of `{m,n}` (and `m` of `{m}`, `{m,}`).
    package static let maxRepeat = 1000
    /// The most instructions a pattern may compile to: the factor of the value's length that
    /// bounds a match's cost.
    package static let maxProgram = 4096
    /// How deep groups may nest (the parser recurses once per level).
    package static let maxNesting = 64

    /// Why a pattern was refused: the reason and the 0-based offset (in Unicode scalars) of
    /// the part that caused it, nil when the pattern as a whole is too large.
    package struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        package var reason: String
        package var offset: Int?
        package var description: String { offset.map { "\(reason) (at offset \($0))" } ?? reason }
    }

    /// One step of the program. `split` and `jump` targets are program indices.
    enum Instruction: Sendable, Equatable {
        case scalar(UInt32)
        /// `.`: any scalar but a line feed.
        case any
        /// A class, by index into `sets`.
        case set(Int)
        case split(Int, Int)
        case jump(Int)
        /// `^`: only at the start of the value.
        case start
        /// `$`: only at its end.
        case end
        case match
    }

    /// A character class: sorted, disjoint ranges of scalars, possibly negated.
    struct ScalarSet: Sendable, Equatable {
        var ranges: [ClosedRange<UInt32>]
        var negated: Bool

        func contains(_ scalar: UInt32) -> Bool {
            var inside = false
            for range in ranges where range.contains(scalar) {
                inside = true
                break
            }
            return inside != negated
        }
    }

    /// Compiles `source`; throws `SyntaxError` for a pattern outside the supported syntax or
    /// past the size bounds. Called at config load, off the event loops.
    package init(_ source: String) throws(SyntaxError) {
        self.source = source
        var parser = Parser(source)
        let tree = try parser.parse()
        var compiler = Compiler(sets: parser.sets)
        try compiler.emit(tree)
        try compiler.append(.match)
        program = compiler.program
        sets = compiler.sets
    }

    /// Whether `value` as a whole matches (anchors implied, as Envoy's header matchers do).
    /// Any thread, no lock: the state is one scratch buffer of the call's own.
    package func matches(_ value: String) -> Bool {
        let count = program.count
        // Two thread lists (dense pc arrays), a mark per pc naming the position that last
        // added it, and a stack for following jumps and splits without recursion (each marked
        // pc pushes at most two more, so 2 × count + 1 entries suffice).
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 5 * count + 1) { buffer in
            let base = buffer.baseAddress.unsafelyUnwrapped
            var current = UnsafeMutableBufferPointer(start: base, count: count)
            var next = UnsafeMutableBufferPointer(start: base + count, count: count)
            let marks = UnsafeMutableBufferPointer(start: base + 2 * count, count: count)
            let stack = UnsafeMutableBufferPointer(start: base + 3 * count, count: 2 * count + 1)
            marks.initialize(repeating: -1)
            let scalars = value.unicodeScalars
            let length = scalars.count
            var currentCount = add(0, position: 0, length: length, to: &current, count: 0, marks: marks, stack: stack)
            var position = 0
            for scalar in scalars {
                let c = scalar.value
                var nextCount = 0
                for i in 0..<currentCount {
                    let pc = current[i]
                    let advances: Bool
                    switch program[pc] {
                    case .scalar(let s): advances = s == c
                    case .any: advances = c != 0x0A
                    case .set(let index): advances = sets[index].contains(c)
                    default: advances = false
                    }
                    if advances {
                        nextCount = add(pc + 1, position: position + 1, length: length, to: &next, count: nextCount, marks: marks, stack: stack)
                    }
                }
                swap(&current, &next)
                currentCount = nextCount
                position += 1
                if currentCount == 0 { return false }
            }
            for i in 0..<currentCount where program[current[i]] == .match { return true }
            return false
        }
    }

    /// Adds the thread at `pc` and every thread its jumps, splits and satisfied anchors reach
    /// to `list` (after its first `count`), each pc once per position; returns the new count.
    private func add(
        _ pc: Int, position: Int, length: Int, to list: inout UnsafeMutableBufferPointer<Int>, count: Int,
        marks: UnsafeMutableBufferPointer<Int>, stack: UnsafeMutableBufferPointer<Int>
    ) -> Int {
        var count = count
        stack[0] = pc
        var depth = 1
        while depth > 0 {
            depth -= 1
            let pc = stack[depth]
            guard marks[pc] != position else { continue }
            marks[pc] = position
            switch program[pc] {
            case .jump(let target):
                stack[depth] = target
                depth += 1
            case .split(let first, let second):
                // The first alternative is tried first only for order's sake: a match is a
                // yes or no, whichever thread reaches it.
                stack[depth] = second
                stack[depth + 1] = first
                depth += 2
            case .start:
                if position == 0 {
                    stack[depth] = pc + 1
                    depth += 1
                }
            case .end:
                if position == length {
                    stack[depth] = pc + 1
                    depth += 1
                }
            case .scalar, .any, .set, .match:
                list[count] = pc
                count += 1
            }
        }
        return count
    }

    package static func == (a: HeaderPattern, b: HeaderPattern) -> Bool { a.source == b.source }
}
