extension HeaderPattern {
    /// Turns a parsed pattern into the program `matches` runs (Thompson's construction):
    /// alternatives become `split`s, `x*` a `split` around `x` and a `jump` back, `x{m,n}` `m`
    /// copies of `x` and `n - m` optional ones. Stops at `maxProgram` instructions, which is
    /// what bounds a match's cost and a pattern's memory.
    struct Compiler {
        private(set) var program: [Instruction] = []
        let sets: [ScalarSet]

        init(sets: [ScalarSet]) {
            self.sets = sets
        }

        /// Appends one instruction; returns its index.
        @discardableResult
        mutating func append(_ instruction: Instruction) throws(SyntaxError) -> Int {
            guard program.count < HeaderPattern.maxProgram else {
                throw SyntaxError(
                    reason: "compiles to more than \(HeaderPattern.maxProgram) steps; use smaller {m,n} counts or fewer alternatives",
                    offset: nil)
            }
            program.append(instruction)
            return program.count - 1
        }

        mutating func emit(_ node: Node) throws(SyntaxError) {
            switch node {
            case .empty: break
            case .scalar(let c): try append(.scalar(c))
            case .any: try append(.any)
            case .set(let index): try append(.set(index))
            case .start: try append(.start)
            case .end: try append(.end)
            case .sequence(let items):
                for item in items { try emit(item) }
            case .alternatives(let branches):
                var exits: [Int] = []
                for branch in branches.dropLast() {
                    let split = try append(.split(0, 0))
                    try emit(branch)
                    exits.append(try append(.jump(0)))
                    program[split] = .split(split + 1, program.count)
                }
                try emit(branches[branches.count - 1])
                for exit in exits { program[exit] = .jump(program.count) }
            case .repeated(let inner, let min, let max):
                for _ in 0..<min { try emit(inner) }
                if let max {
                    // Each optional copy may skip straight past the last one.
                    var skips: [Int] = []
                    for _ in min..<max {
                        skips.append(try append(.split(0, 0)))
                        try emit(inner)
                    }
                    for skip in skips { program[skip] = .split(skip + 1, program.count) }
                } else {
                    let loop = try append(.split(0, 0))
                    try emit(inner)
                    try append(.jump(loop))
                    program[loop] = .split(loop + 1, program.count)
                }
            }
        }
    }
}
