package import SluiceCore

extension LightGBMBackend {
    /// Scores every row of the one input. Called concurrently from event-loop or worker threads;
    /// touches only immutable state. Throws `.invalidInput` for a missing input, BYTES, a rank
    /// other than 2, or a feature count other than the model's. NaN is a missing value, handled
    /// per split as LightGBM's missing types say (None reads it as 0, Zero and NaN send it the
    /// default way; categorical splits send it right).
    package func infer(_ inputs: [Tensor]) throws(ServingError) -> [Tensor] {
        let (values, rows) = try TreeSignature.features(
            inputs, spec: self.inputs[0], featureCount: ensemble.featureCount)
        var scores = linear?.margins(values, rows: rows) ?? ensemble.margins(values, rows: rows)
        let width = ensemble.outputCount
        // Labels come from the raw scores, before rf averaging and the transform, both monotonic.
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
            return [Tensor(unchecked: outputs[0].name, shape: [rows], data: .fp32(scores))]
        }
    }

    /// rf averaging and the objective's transform, row by row in Double (as LightGBM's
    /// `GBDT::Predict` does), rounded to FP32 once.
    private func finish(_ scores: inout [Float], width: Int) {
        guard iterations != nil || objective.transform != .identity else { return }
        let divisor = Double(iterations ?? 1)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: width) { row in
            var start = 0
            while start + width <= scores.count {
                for i in 0..<width { row[i] = Double(scores[start + i]) / divisor }
                objective.apply(row)
                for i in 0..<width { scores[start + i] = Float(row[i]) }
                start += width
            }
        }
    }
}
