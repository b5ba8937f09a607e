/// Where the models come from: the *source* of TF Serving's source → manager split (README "Model
/// repository and bundles"). Each scan states the complete set of models the source offers now,
/// each with its config and every version it has; the model's version policy picks the aspired
/// versions from those, and the `ModelManager` reconciles what is loaded with them.
/// `RepositoryScanner` (a repository folder) and `SingleModelSource` (one model's folder, KServe's
/// `/mnt/models`) are the sources today; an object-store source would be another. Their versions are local folders all the same: the manager
/// fingerprints them and the loader opens their model files.
///
/// Called by the model manager on the thread that drives a control operation (start-up, poll,
/// repository API), never on an event loop; may block on I/O. Never throws: problems become
/// findings, and a broken model or version is reported on itself so it cannot hide the rest.
package protocol ModelSource: Sendable {
    /// Where the models come from, as the user named it (`models`), for log lines.
    var location: String { get }

    /// Every model the source offers now. A model the manager knows that is missing here is gone.
    func scan() -> RepositoryScan

    /// That one model, for the repository API's load: `models` is empty when the source does not
    /// offer it.
    func scan(model name: String) -> RepositoryScan
}
