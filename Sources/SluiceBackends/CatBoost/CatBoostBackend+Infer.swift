package import SluiceCore

extension CatBoostBackend {
    /// Scores every row of the one input. Called concurrently from event-loop or worker threads;
    /// touches only immutable state. Throws `.invalidInput` for a missing input, BYTES, a rank
    /// other than 2, or a feature count other than the model's. NaN is a missing value: below
    /// every border (nan_mode Min, the default) or above (Max), as the model's float features say.
    package func infer(_ inputs: [Tensor]) throws(ServingError) -> [Tensor] {
        let (values, rows) = try TreeSignature.features(
            inputs, spec: self.inputs[0], featureCount: ensemble.featureCount)
        var scores = ensemble.margins(values, rows: rows)
        let width = ensemble.outputCount
        // Labels from the raw scores: every transform is monotonic.
        let labels = objective.answer == .multiClassifier ? Argmax.rows(scores, width: width) : []
        finish(&scores, width: width)
        switch objective.answer {
        case .binaryClassifier:
            var probabilities = [Float](repeating: 0, count: rows * 2)
            var binaryLabels = [Int64](repeating: 0, count: rows)
            for row in 0..<rows {
                let p = scores[row]
                probabilities[2 * row] = 1 - p
                probabilities[2 * row + 1] = p
                // argmax of [1-p, p], the first on a tie
                binaryLabels[row] = p > 1 - p ? 1 : 0
            }
            return [
                Tensor(unchecked: outputs[0].name, shape: [rows, 2], data: .fp32(probabilities)),
                Tensor(unchecked: outputs[1].name, shape: [rows], data: .int64(binaryLabels)),
            ]
        case .multiClassifier:
            return [
                Tensor(unchecked: outputs[0].name, shape: [rows, width], data: .fp32(scores)),
                Tensor(unchecked: outputs[1].name, shape: [rows], data: .int64(labels)),
            ]
        case .regressor:
            let shape = width == 1 ? [rows] : [rows, width]
            return [Tensor(unchecked: outputs[0].name, shape: shape, data: .fp32(scores))]
        }
    }

    /// The objective's transform, row by row in Double (as catboost's predict), rounded to FP32
    /// once.
    private func finish(_ scores: inout [Float], width: Int) {
        guard objective.transform != .identity else { return }
        withUnsafeTemporaryAllocation(of: Double.self, capacity: width) { row in
            var start = 0
            while start + width <= scores.count {
                for i in 0..<width { row[i] = Double(scores[start + i]) }
                objective.apply(row)
                for i in 0..<width { scores[start + i] = Float(row[i]) }
                start += width
            }
        }
    }
}
