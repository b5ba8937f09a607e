extension TreeEnsemble {
    /// The raw scores (margins) for `rows` rows: row-major `rows × featureCount` features in,
    /// row-major `rows × outputCount` sums out, each output starting from its base score and
    /// adding its trees' leaves in tree order (the order the training library adds them, which
    /// matters for bit-exact Float sums).
    ///
    /// Called by backends from any thread, concurrently; reads only immutable state and allocates
    /// only the result and one small scratch row. A missing value is NaN. The caller checks the
    /// input size against the request (a mismatch here is a bug in Sluice, hence the precondition).
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
        withNodes { nodes in
            switch accumulation {
            case .float: accumulate(x, rows: rows, into: o, nodes: nodes, as: Float.self)
            case .double: accumulate(x, rows: rows, into: o, nodes: nodes, as: Double.self)
            }
        }
    }

    /// The node arrays as raw buffers for the walk: construction range-checked every index the
    /// walk can reach, so per-node bounds checks (and array uniqueness checks) would only cost.
    struct Nodes {
        let feature: UnsafeBufferPointer<Int32>
        let threshold: UnsafeBufferPointer<Float>
        let left: UnsafeBufferPointer<Int32>
        let right: UnsafeBufferPointer<Int32>
        let flags: UnsafeBufferPointer<UInt8>
        let value: UnsafeBufferPointer<Float>
    }

    private func withNodes(_ body: (Nodes) -> Void) {
        feature.withUnsafeBufferPointer { feature in
            threshold.withUnsafeBufferPointer { threshold in
                left.withUnsafeBufferPointer { left in
                    right.withUnsafeBufferPointer { right in
                        flags.withUnsafeBufferPointer { flags in
                            value.withUnsafeBufferPointer { value in
                                body(Nodes(
                                    feature: feature, threshold: threshold, left: left, right: right,
                                    flags: flags, value: value))
                            }
                        }
                    }
                }
            }
        }
    }

    private func accumulate<Sum: BinaryFloatingPoint>(
        _ x: UnsafeBufferPointer<Float>, rows: Int, into out: UnsafeMutableBufferPointer<Float>,
        nodes: Nodes, as _: Sum.Type
    ) {
        // On the stack for any real output count: no heap allocation per request.
        withUnsafeTemporaryAllocation(of: Sum.self, capacity: outputCount) { sums in
            let lessOrEqual = comparison == .lessOrEqual
            for row in 0..<rows {
                let features = UnsafeBufferPointer(rebasing: x[row * featureCount..<(row + 1) * featureCount])
                for o in 0..<outputCount { sums[o] = Sum(baseScores[o]) }
                for t in 0..<roots.count {
                    let leaf = leafIndex(root: Int(roots[t]), features, nodes, lessOrEqual: lessOrEqual)
                    sums[Int(treeOutput[t])] += Sum(nodes.value[leaf])
                }
                for o in 0..<outputCount { out[row * outputCount + o] = Float(sums[o]) }
            }
        }
    }

    /// Walks one tree to its leaf. Terminates because construction proved every reachable node
    /// is visited at most once on the way down.
    @inline(__always)
    private func leafIndex(root: Int, _ x: UnsafeBufferPointer<Float>, _ nodes: Nodes, lessOrEqual: Bool) -> Int {
        var n = root
        while true {
            let f = nodes.feature[n]
            if f < 0 { return n }
            let v = x[Int(f)]
            let flag = nodes.flags[n]
            let goLeft: Bool
            if v.isNaN {
                goLeft = flag & Self.defaultLeftFlag != 0
            } else if flag & (Self.categoricalFlag | Self.zeroIsMissingFlag) != 0 {
                // One test keeps plain numeric splits (all of XGBoost's) on the short path.
                if flag & Self.categoricalFlag != 0 {
                    goLeft = categoryGoesLeft(node: n, v)
                } else if abs(v) <= Self.zeroThreshold {
                    goLeft = flag & Self.defaultLeftFlag != 0
                } else {
                    goLeft = lessOrEqual ? v <= nodes.threshold[n] : v < nodes.threshold[n]
                }
            } else if lessOrEqual {
                goLeft = v <= nodes.threshold[n]
            } else {
                goLeft = v < nodes.threshold[n]
            }
            n = Int(goLeft ? nodes.left[n] : nodes.right[n])
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
