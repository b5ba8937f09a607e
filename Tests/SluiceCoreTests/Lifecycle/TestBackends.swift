@testable import SluiceCore

extension BackendRegistry {
    /// The backends of a real build as the scanner sees them (`Backends.standard`'s names and
    /// file names, in its order), each loading through `load`: the core's tests cannot import
    /// the backends target.
    static func likeStandard(
        loading load: @escaping BackendLoader = { _ throws(ServingError) in throw .loadFailure("no loads here") }
    ) -> BackendRegistry {
        BackendRegistry([
            BackendFactory(
                name: "xgboost",
                fileNames: ["model.json", "model.ubj", "model.bst", "xgboost.json", "xgboost.ubj", "xgboost.model"],
                options: ["iterations": ["best", "all"]], load: load),
            BackendFactory(name: "lightgbm", fileNames: ["model.txt"], load: load),
            BackendFactory(name: "onnx", fileNames: ["model.onnx"], load: load),
        ])
    }
}

/// The names `backend:` may take in the parser's tests.
let standardBackendNames = BackendRegistry.likeStandard().names
