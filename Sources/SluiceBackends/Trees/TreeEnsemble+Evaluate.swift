extension TreeEnsemble {
    /// Rows scored together, tree by tree: one tree's nodes stay in cache while every row of the
    /// block walks it, and the block's sums (64 × outputs) fit on the stack.
    static let rowBlock = 64
    /// Rows that walk one tree in lockstep: independent walks the processor overlaps.
    static let lanes = 8

    /// The raw scores (margins) for `rows` rows: row-major `rows × featureCount` features in,
    /// row-major `rows × outputCount` sums out, each output starting from its base score and
    /// adding its trees' leaves in tree order (the order the training library adds them, which
    /// matters for bit-exact Float sums).
    ///
    /// Called by backends from any thread, concurrently; reads only immutable state and allocates
    /// only the result. A missing value is NaN. The caller checks the input size against the
    /// request (a mismatch here is a bug in Sluice, hence the precondition).
    package func margins(_ input: [Float], rows: Int) -> [Float] {
        precondition(rows >= 0 && input.count == rows * featureCount, "input size checked by the backend")
        return input.withUnsafeBufferPointer { x in
            [Float](unsafeUninitializedCapacity: rows * outputCount) { o, initialized in
                margins(x, rows: rows, into: o)
                initialized = rows * outputCount
            }
        }
    }

    /// As `margins(_:rows:)`, into a buffer the caller owns (`rows × outputCount` values, all
    /// written), for backends that post-process margins without an array of them per request.
    package func margins(_ x: UnsafeBufferPointer<Float>, rows: Int, into o: UnsafeMutableBufferPointer<Float>) {
        precondition(
            rows >= 0 && x.count == rows * featureCount && o.count >= rows * outputCount,
            "sizes checked by the backend")
        guard rows > 0, let input = x.baseAddress, let out = o.baseAddress else { return }
        nodes.withUnsafeBufferPointer { nodes in
            roots.withUnsafeBufferPointer { roots in
                treeOutput.withUnsafeBufferPointer { treeOutput in
                    depths.withUnsafeBufferPointer { depths in
                        // Construction checked every index a walk can reach, so the walk reads
                        // raw pointers: bounds checks per node would only cost.
                        let walk = Walk(
                            ensemble: self, nodes: nodes, roots: roots, treeOutput: treeOutput,
                            depths: depths)
                        switch (accumulation, comparison) {
                        case (.float, .less): walk.run(input, rows: rows, into: out, Float.self, Less.self)
                        case (.float, .lessOrEqual): walk.run(input, rows: rows, into: out, Float.self, LessOrEqual.self)
                        case (.double, .less): walk.run(input, rows: rows, into: out, Double.self, Less.self)
                        case (.double, .lessOrEqual): walk.run(input, rows: rows, into: out, Double.self, LessOrEqual.self)
                        }
                    }
                }
            }
        }
    }

    /// A numeric split's comparison as a type, so each walk is compiled for one of them.
    protocol Comparison {
        static func goesLeft(_ value: Float, _ threshold: Float) -> Bool
    }

    enum Less: Comparison {
        @inline(__always) static func goesLeft(_ value: Float, _ threshold: Float) -> Bool { value < threshold }
    }

    enum LessOrEqual: Comparison {
        @inline(__always) static func goesLeft(_ value: Float, _ threshold: Float) -> Bool { value <= threshold }
    }

    /// One call's view of the ensemble as raw buffers, valid inside `margins`.
    struct Walk {
        let ensemble: TreeEnsemble
        let nodes: UnsafeBufferPointer<Node>
        let roots: UnsafeBufferPointer<Int32>
        let treeOutput: UnsafeBufferPointer<Int32>
        let depths: UnsafeBufferPointer<Int32>

        func run<Sum: BinaryFloatingPoint, Compare: Comparison>(
            _ x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>,
            _: Sum.Type, _: Compare.Type
        ) {
            let width = ensemble.outputCount
            let features = ensemble.featureCount
            let block = min(rows, TreeEnsemble.rowBlock)
            let lanes = TreeEnsemble.lanes
            // On the stack for any real output count: no heap allocation per request.
            withUnsafeTemporaryAllocation(of: Sum.self, capacity: block * width) { sums in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: lanes) { at in
                    var start = 0
                    while start < rows {
                        let count = min(block, rows - start)
                        for r in 0..<count {
                            for o in 0..<width { sums[r * width + o] = Sum(ensemble.baseScores[o]) }
                        }
                        if count < lanes, let firstSum = sums.baseAddress {
                            // Too few rows to walk in lockstep: the usual one-row request.
                            rowByRow(x + start * features, rows: count, into: firstSum, Compare.self)
                        } else {
                            // Tree-major inside the block; each row still adds its trees in tree
                            // order, so the sums are the same bits as a row-by-row walk.
                            for t in 0..<roots.count {
                                let root = Int(roots[t])
                                let output = Int(treeOutput[t])
                                let depth = Int(depths[t])
                                let first = x + start * features
                                var r = 0
                                while r + lanes <= count {
                                    lockstep(root: root, depth: depth, first + r * features, at, Compare.self)
                                    for lane in 0..<lanes {
                                        sums[(r + lane) * width + output] += Sum(nodes[at[lane]].threshold)
                                    }
                                    r += lanes
                                }
                                while r < count {
                                    sums[r &* width &+ output] += Sum(leafValue(root: root, first + r &* features, Compare.self))
                                    r += 1
                                }
                            }
                        }
                        let o = out + start * width
                        for i in 0..<count * width { o[i] = Float(sums[i]) }
                        start += count
                    }
                }
            }
        }

        /// Walks `at.count` consecutive rows from `x` down one tree together, `depth` steps
        /// each (a row at a leaf stays there), leaving each row's leaf in `at`. No branch
        /// depends on the data but the rare missing/categorical one, so the walks overlap.
        @inline(__always)
        private func lockstep<Compare: Comparison>(
            root: Int, depth: Int, _ x: UnsafePointer<Float>, _ at: UnsafeMutableBufferPointer<Int>,
            _: Compare.Type
        ) {
            let features = ensemble.featureCount
            for lane in 0..<at.count { at[lane] = root }
            for _ in 0..<depth {
                var row = x
                for lane in 0..<at.count {
                    at[lane] = step(at[lane], row, Compare.self)
                    row += features
                }
            }
        }

        /// The node a row goes to from node `n` (itself at a leaf).
        @inline(__always)
        private func step<Compare: Comparison>(_ n: Int, _ x: UnsafePointer<Float>, _: Compare.Type) -> Int {
            let node = nodes[n]
            let v = x[Int(node.feature)]
            var goLeft = Compare.goesLeft(v, node.threshold)
            // One rarely taken test keeps plain numeric splits (all of XGBoost's) short.
            if node.flags & TreeEnsemble.slowTestFlags != 0 || v.isNaN {
                goLeft = slowGoesLeft(node, index: n, v, Compare.self)
            }
            // Siblings are adjacent: the child is picked without a branch (the direction is
            // data, so a branch on it is mispredicted half the time; Package.swift keeps LLVM
            // from turning this select back into one).
            return Int(node.left) &+ (goLeft ? 0 : Int(node.rightOffset))
        }

        /// `count` consecutive rows from `x`, row by row, each adding its trees in tree order into
        /// its `outputCount` sums (as the block walk does): a row with no missing value in an
        /// ensemble of numeric splits takes `numericWalk`.
        @inline(__always)
        private func rowByRow<Sum: BinaryFloatingPoint, Compare: Comparison>(
            _ x: UnsafePointer<Float>, rows count: Int, into sums: UnsafeMutablePointer<Sum>, _: Compare.Type
        ) {
            let features = ensemble.featureCount
            let width = ensemble.outputCount
            for r in 0..<count {
                let row = x + r * features
                let rowSums = sums + r * width
                if ensemble.numericOnly && !Self.hasMissing(row, features) {
                    numericWalk(row, into: rowSums, Compare.self)
                } else {
                    for t in 0..<roots.count {
                        rowSums[Int(treeOutput[t])] += Sum(leafValue(root: Int(roots[t]), row, Compare.self))
                    }
                }
            }
        }

        /// Every tree for one row with no missing value, in an ensemble of numeric splits only:
        /// then no node needs the slow test, and each step is a load, a compare and an add.
        @inline(__always)
        private func numericWalk<Sum: BinaryFloatingPoint, Compare: Comparison>(
            _ x: UnsafePointer<Float>, into sums: UnsafeMutablePointer<Sum>, _: Compare.Type
        ) {
            for t in 0..<roots.count {
                var node = nodes[Int(roots[t])]
                while node.rightOffset != 0 {
                    let goLeft = Compare.goesLeft(x[Int(node.feature)], node.threshold)
                    node = nodes[Int(node.left) &+ (goLeft ? 0 : Int(node.rightOffset))]
                }
                sums[Int(treeOutput[t])] += Sum(node.threshold)
            }
        }

        /// Whether any of a row's `count` features is missing (NaN).
        @inline(__always)
        private static func hasMissing(_ x: UnsafePointer<Float>, _ count: Int) -> Bool {
            var missing = false
            for f in 0..<count { missing = missing || x[f].isNaN }
            return missing
        }

        /// Walks one tree to its leaf and returns the leaf's value. Terminates because
        /// construction proved every reachable node is visited at most once on the way down.
        @inline(__always)
        private func leafValue<Compare: Comparison>(
            root: Int, _ x: UnsafePointer<Float>, _: Compare.Type
        ) -> Float {
            var n = root
            while !nodes[n].isLeaf { n = step(n, x, Compare.self) }
            return nodes[n].threshold
        }

        /// Missing values, categorical splits and LightGBM's zero-as-missing (never on a leaf,
        /// whose flags are 0: a NaN there answers "right", which is the leaf itself).
        private func slowGoesLeft<Compare: Comparison>(
            _ node: Node, index n: Int, _ v: Float, _: Compare.Type
        ) -> Bool {
            let defaultLeft = node.flags & TreeEnsemble.defaultLeftFlag != 0
            if v.isNaN { return defaultLeft }
            if node.flags & TreeEnsemble.categoricalFlag != 0 {
                return ensemble.categoryGoesLeft(node: n, v)
            }
            if abs(v) <= TreeEnsemble.zeroThreshold { return defaultLeft }
            return Compare.goesLeft(v, node.threshold)
        }
    }

    /// A category is the input truncated to an integer (as XGBoost's and LightGBM's casts do);
    /// values outside `categoryDomain`, too large or unlisted categories are no match.
    private func categoryGoesLeft(node n: Int, _ v: Float) -> Bool {
        var matched = false
        let named = categoryDomain == .nonNegative ? v >= 0 : v > -1
        if named, v < Float(Self.categoryLimit) {
            let c = Int(v)
            let word = c >> 5
            if word < Int(categoryWords[n]) {
                matched = categoryBits[Int(categoryStart[n]) + word] & (1 << UInt32(c & 31)) != 0
            }
        }
        return matched == (categoryMatch == .goesLeft)
    }
}
