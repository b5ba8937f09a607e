import Foundation
package import SluiceCore

/// An XGBoost tree model (gbtree or dart, `model.json` or `model.ubj`) ready to serve.
///
/// Created by `load(_:)` on a loader thread; immutable afterwards, so `infer` may run on many
/// threads at once. Signature per README "Outputs of tree models": one input (`input`, `[-1,
/// num_feature]`) and `probabilities` + `label` for classifiers or `predictions` otherwise, renamed
/// in order by `model.yaml` when it declares them.
package struct XGBoostBackend: Backend {
    /// Always `xgboost`, reported as the model's platform in metadata.
    package var platform: String { "xgboost" }

    /// How `Backends.standard` knows this backend: `backend: xgboost`, and the files it loads.
    package static let factory = BackendFactory(name: "xgboost", fileNames: ["model.json", "model.ubj"]) { request throws(ServingError) in
        try load(request)
    }
    /// One input, `[-1, num_feature]`; its name and element type may come from model.yaml.
    package let inputs: [TensorSpec]
    /// The answers in the order `infer` returns them, under model.yaml's names if it gave any.
    package let outputs: [TensorSpec]
    let objective: XGBoostObjective
    let ensemble: TreeEnsemble

    /// Reads and checks the model file named by `request`. Called by `Backends.standard` on a loader
    /// thread; throws `ServingError.loadFailure("<file>: <what and why>")` for an unreadable,
    /// malformed or unsupported file or a signature that does not fit the model. Never traps on
    /// file contents.
    package static func load(_ request: BackendLoadRequest) throws(ServingError) -> XGBoostBackend {
        let (name, bytes) = try ModelFile.read(request.file)
        let document: ModelValue
        do {
            document = Self.isUBJSON(bytes) ? try UBJSONReader.parse(bytes) : try ModelValue.parseJSON(bytes)
        } catch {
            throw .loadFailure("\(name): not a valid model file at byte \(error.offset): \(error.reason)")
        }
        let model = try XGBoostModel(document: ModelField(value: document, path: "", file: name))
        return try XGBoostBackend(model: model, request: request, fileName: name)
    }

    /// The content decides, not the extension: a UBJSON object starts `{` followed by a length
    /// marker or a container header, never by JSON's quote or whitespace.
    static func isUBJSON(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "{") else { return false }
        return Array("iUIlL$#N".utf8).contains(bytes[1])
    }

    init(model: XGBoostModel, request: BackendLoadRequest, fileName: String) throws(ServingError) {
        objective = model.objective
        ensemble = model.ensemble
        inputs = try TreeSignature.inputs(request.inputs, featureCount: model.featureCount, fileName: fileName)
        outputs = try TreeSignature.outputs(
            request.outputs, defaults: Self.defaultOutputs(model), fileName: fileName)
    }

    static func defaultOutputs(_ model: XGBoostModel) -> [TensorSpec] {
        switch model.objective.answer {
        case .binaryClassifier, .multiClassifier:
            let classes = model.objective.answer == .binaryClassifier ? 2 : model.outputCount
            return [
                TensorSpec(name: "probabilities", datatype: .fp32, shape: [-1, classes]),
                TensorSpec(name: "label", datatype: .int64, shape: [-1]),
            ]
        case .regressor:
            let shape = model.outputCount == 1 ? [-1] : [-1, model.outputCount]
            return [TensorSpec(name: "predictions", datatype: .fp32, shape: shape)]
        }
    }
}
