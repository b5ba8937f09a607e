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
        var out = [Float](repeating: 0, count: rows * outputCount)
        input.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                switch accumulation {
                case .float: accumulate(x, rows: rows, into: o, as: Float.self)
                case .double: accumulate(x, rows: rows, into: o, as: Double.self)
                }
            }
        }
        return out
    }

    private func accumulate<Sum: BinaryFloatingPoint>(
        _ x: UnsafeBufferPointer<Float>, rows: Int, into out: UnsafeMutableBufferPointer<Float>,
        as _: Sum.Type
    ) {
        var sums = [Sum](repeating: 0, count: outputCount)
        for row in 0..<rows {
            let features = UnsafeBufferPointer(rebasing: x[row * featureCount..<(row + 1) * featureCount])
            for o in 0..<outputCount { sums[o] = Sum(baseScores[o]) }
            for t in 0..<roots.count {
                let leaf = leafIndex(tree: t, features)
                sums[Int(treeOutput[t])] += Sum(value[leaf])
            }
            for o in 0..<outputCount { out[row * outputCount + o] = Float(sums[o]) }
        }
    }

    /// Walks tree `t` to its leaf. Terminates because construction proved every reachable node
    /// is visited at most once on the way down; indices were range-checked then too.
    @inline(__always)
    func leafIndex(tree t: Int, _ x: UnsafeBufferPointer<Float>) -> Int {
        var n = Int(roots[t])
        while true {
            let f = feature[n]
            if f < 0 { return n }
            let v = x[Int(f)]
            let flag = flags[n]
            let goLeft: Bool
            if v.isNaN {
                goLeft = flag & Self.defaultLeftFlag != 0
            } else if flag & Self.categoricalFlag != 0 {
                goLeft = categoryGoesLeft(node: n, v)
            } else if comparison == .less {
                goLeft = v < threshold[n]
            } else {
                goLeft = v <= threshold[n]
            }
            n = Int(goLeft ? left[n] : right[n])
        }
    }

    /// A category is the input truncated to an integer (as XGBoost's and LightGBM's casts do);
    /// negative, too large or unlisted categories are no match.
    private func categoryGoesLeft(node n: Int, _ v: Float) -> Bool {
        var matched = false
        if v >= 0, v < Float(Self.categoryLimit) {
            let c = Int(v)
            let word = c >> 5
            if word < Int(categoryWords[n]) {
                matched = categoryBits[Int(categoryStart[n]) + word] & (1 << UInt32(c & 31)) != 0
            }
        }
        return matched == (categoryMatch == .goesLeft)
    }
}
