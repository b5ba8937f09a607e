package import SluiceCore

/// The backends compiled into this build.
///
/// To add one: give it a folder of its own here with a `Backend` and its `BackendFactory` (a
/// name for `backend:` and the model file names it recognises), and add that factory to
/// `standard` below. Nothing else names a backend.
package enum Backends {
    /// Every backend of this build, in the order messages list them. Injected by the server and
    /// `sluice validate` into the repository scanner (names, file names) and, as its loader, into
    /// the model manager, which calls it on loader threads.
    package static let standard = BackendRegistry([
        XGBoostBackend.factory,
        LightGBMBackend.factory,
        CatBoostBackend.factory,
        ONNXBackend.factory,
    ])
}
