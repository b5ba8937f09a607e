package import SluiceCore

extension XGBoostBackend {
    /// Scores every row of the one input. Called concurrently from event-loop or worker threads;
    /// touches only immutable state. Throws `.invalidInput` for a missing input, BYTES, a rank
    /// other than 2, or a feature count other than the model's. NaN is a missing value and
    /// follows each split's default direction, as in XGBoost.
    package func infer(_ inputs: [Tensor]) throws(ServingError) -> [Tensor] {
        let (values, rows) = try TreeSignature.features(
            inputs, spec: self.inputs[0], featureCount: booster.featureCount)
        return values.withUnsafeBufferPointer { answer($0, rows: rows) }
    }

    /// Scores `x` and turns the margins into the outputs of `outputs`, in its order and under
    /// its names.
    private func answer(_ x: UnsafeBufferPointer<Float>, rows: Int) -> [Tensor] {
        let width = booster.outputCount
        switch objective.answer {
        case .binaryClassifier:
            return binaryAnswer(x, rows: rows)
        case .multiClassifier:
            var margins = margins(x, rows: rows)
            // The label is the argmax of the margins, as multi:softmax's predict answers it;
            // softmax is monotonic, so it is also the argmax of the probabilities.
            let labels = Argmax.rows(margins, width: width)
            PostTransform.softmax.apply(to: &margins, width: width)
            return [
                Tensor(unchecked: outputs[0].name, shape: [rows, width], data: .fp32(margins)),
                Tensor(unchecked: outputs[1].name, shape: [rows], data: .int64(labels)),
            ]
        case .regressor:
            var margins = margins(x, rows: rows)
            objective.transform.apply(to: &margins, width: width)
            let shape = width == 1 ? [rows] : [rows, width]
            return [Tensor(unchecked: outputs[0].name, shape: shape, data: .fp32(margins))]
        }
    }

    /// The margins as an array that becomes an output.
    private func margins(_ x: UnsafeBufferPointer<Float>, rows: Int) -> [Float] {
        let count = rows * booster.outputCount
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            booster.margins(x, rows: rows, into: out)
            initialized = count
        }
    }

    /// The binary classifier's outputs, built straight from margins in a scratch buffer: only
    /// the two output arrays are allocated per request. They are reserved and appended to:
    /// `init(unsafeUninitializedCapacity:)` and `init(repeating:count:)` go through an
    /// unspecialised stdlib entry point that looks up the array's generic metadata on every
    /// call, which cost more than the appends.
    private func binaryAnswer(_ x: UnsafeBufferPointer<Float>, rows: Int) -> [Tensor] {
        var labels: [Int64] = []
        labels.reserveCapacity(rows)
        var probabilities: [Float] = []
        probabilities.reserveCapacity(rows * 2)
        // A binary model has one output per row; the capacity matches whatever `margins` writes.
        let capacity = rows * booster.outputCount
        withUnsafeTemporaryAllocation(of: Float.self, capacity: capacity) { margins in
            booster.margins(x, rows: rows, into: margins)
            PostTransform.sigmoid.apply(to: margins, width: 1)
            for row in 0..<rows {
                let p = margins[row]
                // argmax of [1-p, p], the first on a tie
                labels.append(p > 1 - p ? 1 : 0)
                probabilities.append(1 - p)
                probabilities.append(p)
            }
        }
        // One row, the usual request, takes constant shapes: array literals of constants are
        // built once at compile time, so they cost no allocation per answer.
        return [
            Tensor(unchecked: outputs[0].name, shape: rows == 1 ? [1, 2] : [rows, 2], data: .fp32(probabilities)),
            Tensor(unchecked: outputs[1].name, shape: rows == 1 ? [1] : [rows], data: .int64(labels)),
        ]
    }
}
