import Foundation
package import SluiceCore

/// A CatBoost model (`catboost.json`, from `save_model(format="json")`) ready to serve.
///
/// Created by `load(_:)` on a loader thread; immutable afterwards, so `infer` may run on many
/// threads at once. Signature per README "Outputs of tree models": one input (`input`, `[-1,
/// n_features]`) and `probabilities` + `label` for Logloss, CrossEntropy, MultiClass and
/// MultiClassOneVsAll, `predictions` otherwise, renamed in order by `model.yaml` when it
/// declares them.
package struct CatBoostBackend: Backend {
    /// Always `catboost`, reported as the model's platform in metadata.
    package var platform: String { "catboost" }

    /// How `Backends.standard` knows this backend: `backend: catboost`, and the file it loads.
    /// `model.json` is XGBoost's name, so CatBoost's JSON has its own (`backend: catboost` in
    /// model.yaml does not change which file name is looked for).
    package static let factory = BackendFactory(name: "catboost", fileNames: ["catboost.json"]) { request throws(ServingError) in
        try load(request)
    }
    /// One input, `[-1, features]`; its name and element type may come from model.yaml.
    package let inputs: [TensorSpec]
    /// The answers in the order `infer` returns them, under model.yaml's names if it gave any.
    package let outputs: [TensorSpec]
    let objective: CatBoostObjective
    let ensemble: TreeEnsemble
    /// The input columns, and the categorical features' CTRs when there are any.
    let features: CatBoostFeatures
    /// The most values the columns of one request may take (`limits.max_model_tensor_elements`).
    let maxElements: Int

    /// Reads and checks the model file named by `request`. Called by `Backends.standard` on a
    /// loader thread; throws `ServingError.loadFailure("<file>: <what and why>")` for an
    /// unreadable, malformed or unsupported file (categorical features among them) or a
    /// signature that does not fit the model. Never traps on file contents.
    package static func load(_ request: BackendLoadRequest) throws(ServingError) -> CatBoostBackend {
        let (name, bytes) = try ModelFile.read(request.file)
        let document: ModelValue
        do {
            document = try ModelValue.parseJSON(bytes)
        } catch {
            throw .loadFailure("\(name): not a valid JSON model at byte \(error.offset): \(error.reason)")
        }
        let model = try CatBoostModel(document: ModelField(value: document, path: "", file: name))
        return try CatBoostBackend(model: model, request: request, fileName: name)
    }

    init(model: CatBoostModel, request: BackendLoadRequest, fileName: String) throws(ServingError) {
        objective = model.objective
        ensemble = model.ensemble
        features = model.features
        maxElements = request.limits.maxTensorElements
        if let categorical = model.features.categorical {
            inputs = try Self.inputs(
                request.inputs, floatCount: model.features.floatCount, categoryCount: categorical.categoryCount,
                fileName: fileName)
        } else {
            inputs = try TreeSignature.inputs(request.inputs, featureCount: model.features.floatCount, fileName: fileName)
        }
        outputs = try TreeSignature.outputs(request.outputs, defaults: model.objective.answer.defaultOutputs(width: model.outputCount), fileName: fileName)
    }

    /// A model with categorical features takes `input` (FP32 `[-1, float features]`, left out
    /// when it has none) and `categorical` (BYTES `[-1, categorical features]`, or INT64 whose
    /// values are hashed as their decimal text, as catboost hashes integer categories), both in
    /// the model's feature order. `model.yaml` may rename them in order and declare
    /// `categorical` INT64.
    static func inputs(
        _ declared: [TensorSpec], floatCount: Int, categoryCount: Int, fileName: String
    ) throws(ServingError) -> [TensorSpec] {
        var defaults: [TensorSpec] = []
        if floatCount > 0 { defaults.append(TensorSpec(name: "input", datatype: .fp32, shape: [-1, floatCount])) }
        defaults.append(TensorSpec(name: "categorical", datatype: .bytes, shape: [-1, categoryCount]))
        guard !declared.isEmpty else { return defaults }
        guard declared.count == defaults.count else {
            throw .loadFailure(
                "\(fileName): model.yaml declares \(declared.count) inputs, but the model takes \(defaults.count) (\(defaults.map(\.name).joined(separator: ", ")))")
        }
        for (spec, ours) in zip(declared, defaults) {
            let typeFits = ours.datatype == .bytes ? [.bytes, .int64].contains(spec.datatype) : spec.datatype != .bytes
            guard spec.shape.count == 2, spec.shape[1] == ours.shape[1], typeFits else {
                throw .loadFailure(
                    "\(fileName): input '\(spec.name)' is declared \(spec.datatype.rawValue) \(spec.shape), but the model's '\(ours.name)' is \(ours.datatype.rawValue) \(ours.shape)")
            }
        }
        return declared
    }
}
