import SluiceCore

/// The signature rules every tree backend shares (README "Outputs of tree models"): one numeric input
/// `[-1, n_features]`, default outputs a backend may have renamed by `model.yaml`, and the checks
/// a request's input must pass. Called at load on a loader thread and per request on any thread.
enum TreeSignature {
    /// `model.yaml` may rename the input and declare its type; its feature dimension must be the
    /// model's, and BYTES cannot feed trees.
    static func inputs(
        _ declared: [TensorSpec], featureCount: Int, fileName: String
    ) throws(ServingError) -> [TensorSpec] {
        guard let spec = declared.first else {
            return [TensorSpec(name: "input", datatype: .fp32, shape: [-1, featureCount])]
        }
        guard declared.count == 1 else {
            throw .loadFailure("\(fileName): model.yaml declares \(declared.count) inputs; a tree model takes one")
        }
        guard spec.shape.count == 2, spec.shape[1] == featureCount else {
            throw .loadFailure(
                "\(fileName): input '\(spec.name)' has shape \(spec.shape), but the model takes [-1, \(featureCount)]")
        }
        guard spec.datatype != .bytes else {
            throw .loadFailure("\(fileName): input '\(spec.name)' is BYTES; a tree model takes numbers")
        }
        return [spec]
    }

    /// Declared outputs rename the defaults in order; the count, element types and shapes must
    /// agree with what the model produces (-1 matches any size).
    static func outputs(
        _ declared: [TensorSpec], defaults: [TensorSpec], fileName: String
    ) throws(ServingError) -> [TensorSpec] {
        guard !declared.isEmpty else { return defaults }
        let names = defaults.map(\.name).joined(separator: ", ")
        guard declared.count == defaults.count else {
            throw .loadFailure(
                "\(fileName): model.yaml declares \(declared.count) outputs, but the model answers \(defaults.count) (\(names))")
        }
        var renamed: [TensorSpec] = []
        for (spec, ours) in zip(declared, defaults) {
            guard spec.datatype == ours.datatype,
                Shape.matches(ours.shape, declared: spec.shape) || Shape.matches(spec.shape, declared: ours.shape)
            else {
                throw .loadFailure(
                    "\(fileName): output '\(spec.name)' is declared \(spec.datatype.rawValue) \(spec.shape), but the model's '\(ours.name)' is \(ours.datatype.rawValue) \(ours.shape)")
            }
            renamed.append(TensorSpec(name: spec.name, datatype: ours.datatype, shape: ours.shape))
        }
        return renamed
    }

    /// The one input of a tree model as row-major Float features, checked against `spec` and the
    /// model's `featureCount`. Called by tree backends' `infer` on any thread; throws
    /// `.invalidInput` for a missing input, BYTES, a rank other than 2, or another feature count.
    static func features(
        _ inputs: [Tensor], spec: TensorSpec, featureCount features: Int
    ) throws(ServingError) -> (values: [Float], rows: Int) {
        guard let tensor = inputs.first(where: { $0.name == spec.name }) else {
            throw .invalidInput("missing input '\(spec.name)'")
        }
        guard tensor.shape.count == 2 else {
            throw .invalidInput(
                "input '\(spec.name)' has shape \(tensor.shape); expected [rows, \(features)]")
        }
        guard tensor.shape[1] == features else {
            throw .invalidInput(
                "input '\(spec.name)' has \(tensor.shape[1]) features per row; the model takes \(features)")
        }
        // FP32 input (the usual case) is read in place; other types are widened once.
        guard let values = tensor.floatValues() else {
            throw .invalidInput("input '\(spec.name)' is \(tensor.datatype.rawValue); expected numbers (FP32)")
        }
        let rows = tensor.shape[0]
        let (expected, overflow) = rows.multipliedReportingOverflow(by: features)
        guard rows >= 0, !overflow, values.count == expected else {
            throw .invalidInput(
                "input '\(spec.name)' has \(values.count) values for shape \(tensor.shape)")
        }
        return (values, rows)
    }
}
