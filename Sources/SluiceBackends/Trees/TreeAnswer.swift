import SluiceCore

/// Which outputs a tree model answers (README "Outputs of tree models"), and the answer tensors
/// built from its transformed scores: one home for the XGBoost, LightGBM and CatBoost backends.
enum TreeAnswer: Sendable {
    /// `probabilities [-1, 2]` as `[1-p, p]`, and `label`.
    case binaryClassifier
    /// `probabilities [-1, classes]` and `label` (argmax of the raw scores).
    case multiClassifier
    /// `predictions [-1]` (or `[-1, width]` for multi-target models).
    case regressor

    /// The outputs a model of `width` outputs answers unless `model.yaml` renames them.
    func defaultOutputs(width: Int) -> [TensorSpec] {
        switch self {
        case .binaryClassifier, .multiClassifier:
            return [
                TensorSpec(name: "probabilities", datatype: .fp32, shape: [-1, self == .binaryClassifier ? 2 : width]),
                TensorSpec(name: "label", datatype: .int64, shape: [-1]),
            ]
        case .regressor:
            return [TensorSpec(name: "predictions", datatype: .fp32, shape: width == 1 ? [-1] : [-1, width])]
        }
    }

    /// The answer for `rows` rows of `width` transformed scores; `labels` are the multiclass
    /// argmaxes (taken from the raw scores), empty otherwise. `outputs` names the tensors.
    func tensors(_ scores: [Float], labels: [Int64], rows: Int, width: Int, outputs: [TensorSpec]) -> [Tensor] {
        switch self {
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
}
