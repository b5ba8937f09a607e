import Foundation
package import SluiceCore

/// An XGBoost model (gbtree, dart or gblinear; `model.json`, `model.ubj`, KServe's `model.bst` or
/// Triton FIL's `xgboost.json` / `xgboost.ubj` / `xgboost.model`) ready to serve.
///
/// Created by `load(_:)` on a loader thread; immutable afterwards, so `infer` may run on many
/// threads at once. Signature per README "Outputs of tree models": one input (`input`, `[-1,
/// num_feature]`) and `probabilities` + `label` for classifiers or `predictions` otherwise, renamed
/// in order by `model.yaml` when it declares them.
package struct XGBoostBackend: Backend {
    /// Always `xgboost`, reported as the model's platform in metadata.
    package var platform: String { "xgboost" }

    /// How `Backends.standard` knows this backend: `backend: xgboost`, the files it loads (the
    /// content decides JSON or UBJSON, whatever the extension), and its model.yaml options.
    package static let factory = BackendFactory(
        name: "xgboost",
        fileNames: ["model.json", "model.ubj", "model.bst", "xgboost.json", "xgboost.ubj", "xgboost.model"],
        options: [IterationChoice.option: [IterationChoice.best.rawValue, IterationChoice.all.rawValue]]
    ) { request throws(ServingError) in
        try load(request)
    }
    /// One input, `[-1, num_feature]`; its name and element type may come from model.yaml.
    package let inputs: [TensorSpec]
    /// The answers in the order `infer` returns them, under model.yaml's names if it gave any.
    package let outputs: [TensorSpec]
    let objective: XGBoostObjective
    let booster: XGBoostBooster

    /// Reads and checks the model file named by `request`. Called by `Backends.standard` on a loader
    /// thread; throws `ServingError.loadFailure("<file>: <what and why>")` for an unreadable,
    /// malformed or unsupported file or a signature that does not fit the model. Never traps on
    /// file contents.
    package static func load(_ request: BackendLoadRequest) throws(ServingError) -> XGBoostBackend {
        let (name, bytes) = try ModelFile.read(request.file)
        if isBinaryFormat(bytes) {
            throw .loadFailure(
                "\(name): this is XGBoost's binary model format, which Sluice does not read. XGBoost says: \"The binary format has been deprecated in 1.6 and removed in 3.1, use UBJ or JSON instead. You can port the binary model to UBJ and JSON by re-saving it with XGBoost 3.0.\" (xgboost.Booster(model_file=\"\(name)\").save_model(\"model.ubj\") with an XGBoost before 3.1)")
        }
        let iterations = request.options[IterationChoice.option].flatMap(IterationChoice.init(rawValue:))
        let document: ModelValue
        do {
            document = Self.isUBJSON(bytes) ? try UBJSONReader.parse(bytes) : try ModelValue.parseJSON(bytes)
        } catch {
            throw .loadFailure("\(name): not a valid model file at byte \(error.offset): \(error.reason)")
        }
        let model = try XGBoostModel(
            document: ModelField(value: document, path: "", file: name), iterations: iterations, limits: request.limits)
        return try XGBoostBackend(model: model, request: request, fileName: name)
    }

    /// The content decides, not the extension: a UBJSON object starts `{` followed by a length
    /// marker or a container header, never by JSON's quote or whitespace.
    static func isUBJSON(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "{") else { return false }
        return Array("iUIlL$#N".utf8).contains(bytes[1])
    }

    /// XGBoost's binary format (before 1.0, and `.deprecated`/`.bst` files until 3.0): it starts
    /// with `binf`, or (before 1.0) with the raw parameter struct, whose first byte (of a
    /// little-endian float) is no text. JSON and UBJSON files start with text (`{`, whitespace);
    /// other text is left to the JSON reader, which says where it fails.
    static func isBinaryFormat(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first else { return false }
        let isText = (0x20..<0x7F).contains(first) || [0x09, 0x0A, 0x0D].contains(first)
        return bytes.starts(with: Array("binf".utf8)) || !isText
    }

    init(model: XGBoostModel, request: BackendLoadRequest, fileName: String) throws(ServingError) {
        objective = model.objective
        booster = model.booster
        inputs = try TreeSignature.inputs(request.inputs, featureCount: model.featureCount, fileName: fileName)
        outputs = try TreeSignature.outputs(
            request.outputs, defaults: model.objective.answer.defaultOutputs(width: model.outputCount), fileName: fileName)
    }
}
