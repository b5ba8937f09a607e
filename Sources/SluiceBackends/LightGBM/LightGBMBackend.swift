import Foundation
package import SluiceCore

/// A LightGBM tree model (`model.txt` from `Booster.save_model`) ready to serve.
///
/// Created by `load(_:)` on a loader thread; immutable afterwards, so `infer` may run on many
/// threads at once. Signature per README "Outputs of tree models": one input (`input`, `[-1,
/// max_feature_idx + 1]`) and `probabilities` + `label` for binary, multiclass and multiclassova,
/// `predictions` otherwise, renamed in order by `model.yaml` when it declares them.
package struct LightGBMBackend: Backend {
    /// Always `lightgbm`, reported as the model's platform in metadata.
    package var platform: String { "lightgbm" }

    /// How `Backends.standard` knows this backend: `backend: lightgbm`, and the files it loads.
    package static let factory = BackendFactory(name: "lightgbm", fileNames: ["model.txt"]) { request throws(ServingError) in
        try load(request)
    }
    /// One input, `[-1, features]`; its name and element type may come from model.yaml.
    package let inputs: [TensorSpec]
    /// The answers in the order `infer` returns them, under model.yaml's names if it gave any.
    package let outputs: [TensorSpec]
    let objective: LightGBMObjective
    let ensemble: TreeEnsemble
    let linear: LightGBMLinearTrees?
    /// rf mode: scores are divided by this many iterations before the objective's transform.
    let iterations: Int?

    /// Reads and checks the model file named by `request`. Called by `Backends.standard` on a loader
    /// thread; throws `ServingError.loadFailure("<file>: <what and why>")` for an unreadable,
    /// truncated, malformed or unsupported file or a signature that
    /// does not fit the model. Never traps on file contents.
    package static func load(_ request: BackendLoadRequest) throws(ServingError) -> LightGBMBackend {
        let (name, bytes) = try ModelFile.read(request.file)
        let text = try LightGBMText(String(decoding: bytes, as: UTF8.self), file: name)
        let model = try LightGBMModel(text: text)
        return try LightGBMBackend(model: model, request: request, fileName: name)
    }

    init(model: LightGBMModel, request: BackendLoadRequest, fileName: String) throws(ServingError) {
        objective = model.objective
        ensemble = model.ensemble
        linear = model.linear
        iterations = model.iterations
        inputs = try TreeSignature.inputs(request.inputs, featureCount: model.featureCount, fileName: fileName)
        outputs = try TreeSignature.outputs(request.outputs, defaults: model.objective.answer.defaultOutputs(width: model.outputCount), fileName: fileName)
    }
}
