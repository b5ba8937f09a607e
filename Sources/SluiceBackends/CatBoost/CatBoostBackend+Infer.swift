package import SluiceCore

extension CatBoostBackend {
    /// Scores every row of the one input. Called concurrently from event-loop or worker threads;
    /// touches only immutable state. Throws `.invalidInput` for a missing input, BYTES, a rank
    /// other than 2, a feature count other than the model's, or inputs whose row counts differ.
    /// NaN is a missing value: below every border (nan_mode Min, the default) or above (Max), as
    /// the model's float features say. A category the model never saw gets the CTR priors.
    package func infer(_ inputs: [Tensor]) throws(ServingError) -> [Tensor] {
        let (values, rows) = try columns(inputs)
        var scores = ensemble.margins(values, rows: rows)
        let width = ensemble.outputCount
        // Labels from the raw scores: every transform is monotonic.
        let labels = objective.answer == .multiClassifier ? Argmax.rows(scores, width: width) : []
        finish(&scores, width: width)
        return objective.answer.tensors(scores, labels: labels, rows: rows, width: width, outputs: outputs)
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

    /// The columns the trees split on, row-major: the numeric input as it is for a model without
    /// categorical features; otherwise the float features followed by each row's CTR values and
    /// one-hot indicators.
    private func columns(_ inputs: [Tensor]) throws(ServingError) -> (values: [Float], rows: Int) {
        guard let categorical = features.categorical else {
            return try TreeSignature.features(inputs, spec: self.inputs[0], featureCount: ensemble.featureCount)
        }
        let floatCount = features.floatCount
        var floats: [Float] = []
        var floatRows: Int?
        if floatCount > 0 {
            (floats, floatRows) = try TreeSignature.features(inputs, spec: self.inputs[0], featureCount: floatCount)
        }
        let spec = self.inputs[self.inputs.count - 1]
        let (hashes, rows) = try Self.categoryHashes(inputs, spec: spec, count: categorical.categoryCount)
        if let floatRows, floatRows != rows {
            throw .invalidInput("input '\(self.inputs[0].name)' has \(floatRows) rows and '\(spec.name)' has \(rows)")
        }
        let width = ensemble.featureCount
        let (total, overflow) = rows.multipliedReportingOverflow(by: width)
        guard !overflow, total <= maxElements else {
            throw .invalidInput("\(rows) rows of \(width) model columns are more than \(maxElements) values (limits.max_model_tensor_elements)")
        }
        var values = [Float](repeating: 0, count: total)
        values.withUnsafeMutableBufferPointer { out in
            floats.withUnsafeBufferPointer { f in
                for row in 0..<rows {
                    for c in 0..<floatCount { out[row * width + c] = f[row * floatCount + c] }
                }
                categorical.columns(
                    hashes: hashes, floats: f, floatCount: floatCount, rows: rows, into: out, stride: width,
                    offset: floatCount)
            }
        }
        return (values, rows)
    }

    /// Each category's CatBoost hash, row-major, from BYTES (the text) or INT64 (its decimal
    /// text).
    private static func categoryHashes(
        _ inputs: [Tensor], spec: TensorSpec, count: Int
    ) throws(ServingError) -> (hashes: [UInt32], rows: Int) {
        guard let tensor = inputs.first(where: { $0.name == spec.name }) else {
            throw .invalidInput("missing input '\(spec.name)'")
        }
        guard tensor.shape.count == 2, tensor.shape[1] == count else {
            throw .invalidInput("input '\(spec.name)' has shape \(tensor.shape); expected [rows, \(count)]")
        }
        let hashes: [UInt32]
        switch tensor.data {
        case .bytes(let texts): hashes = texts.map(CatBoostCategorical.hash)
        case .int64(let numbers): hashes = numbers.map { CatBoostCategorical.hash(Array(String($0).utf8)) }
        default:
            throw .invalidInput("input '\(spec.name)' is \(tensor.datatype.rawValue); expected categories as BYTES (or INT64)")
        }
        let rows = tensor.shape[0]
        let (expected, overflow) = rows.multipliedReportingOverflow(by: count)
        guard rows >= 0, !overflow, hashes.count == expected else {
            throw .invalidInput("input '\(spec.name)' has \(hashes.count) values for shape \(tensor.shape)")
        }
        return (hashes, rows)
    }
}
