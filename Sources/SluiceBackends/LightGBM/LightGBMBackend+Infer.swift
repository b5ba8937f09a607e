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
        return objective.answer.tensors(scores, labels: labels, rows: rows, width: width, outputs: outputs)
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
