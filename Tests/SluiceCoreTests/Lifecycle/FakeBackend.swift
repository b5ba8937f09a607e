import Foundation
import Synchronization
@testable import SluiceCore

/// A backend that answers a fixed output and remembers what it was asked, for manager tests.
final class FakeBackend: Backend {
    let platform: String
    let inputs: [TensorSpec]
    let outputs = [TensorSpec(name: "y", datatype: .fp32, shape: [-1])]
    let failsToRun: Bool
    let notes: [String]
    let received = Mutex<[[Tensor]]>([])

    init(platform: String, inputs: [TensorSpec], failsToRun: Bool, notes: [String] = []) {
        self.platform = platform
        self.inputs = inputs
        self.failsToRun = failsToRun
        self.notes = notes
    }

    func infer(_ inputs: [Tensor]) throws(ServingError) -> [Tensor] {
        received.withLock { $0.append(inputs) }
        if failsToRun { throw .backendFailure("fake backend refuses to run") }
        return [Tensor(unchecked: "y", shape: [1], data: .fp32([0.5]))]
    }
}

/// A `BackendLoader` over real files: a file saying `corrupt` fails to load, one saying
/// `fails-warmup` loads a backend that fails every inference, one saying `noted` a backend with
/// a note (`Backend.notes`); anything else loads fine.
/// Records every file it was asked to load.
final class FakeLoader: Sendable {
    static let defaultInputs = [TensorSpec(name: "x", datatype: .fp32, shape: [-1, 4])]
    static let note = "output 'y' is served as a tensor"
    let requests = Mutex<[BackendLoadRequest]>([])
    let backends = Mutex<[String: FakeBackend]>([:])

    var loader: BackendLoader {
        { request throws(ServingError) in try self.load(request) }
    }

    /// The model files loaded, relative to `root`, sorted.
    func loadedFiles(under root: String) -> [String] {
        requests.withLock { $0.map { String($0.file.dropFirst(root.count + 1)) } }.sorted()
    }

    private func load(_ request: BackendLoadRequest) throws(ServingError) -> any Backend {
        requests.withLock { $0.append(request) }
        let contents = (try? String(contentsOfFile: request.file, encoding: .utf8)) ?? ""
        if contents.contains("corrupt") { throw .loadFailure("cannot parse model file: corrupt") }
        let backend = FakeBackend(
            platform: request.backend, inputs: request.inputs.isEmpty ? Self.defaultInputs : request.inputs,
            failsToRun: contents.contains("fails-warmup"), notes: contents.contains("noted") ? [FakeLoader.note] : [])
        backends.withLock { $0[request.file] = backend }
        return backend
    }
}

/// Collects log lines from loader threads.
final class LogRecorder: Sendable {
    let lines = Mutex<[String]>([])
    var sink: @Sendable (LogLevel, String) -> Void {
        { level, message in self.lines.withLock { $0.append("\(level.rawValue): \(message)") } }
    }
}
