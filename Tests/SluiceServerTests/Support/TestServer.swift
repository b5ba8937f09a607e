import Foundation
import Logging
@testable import SluiceServer

/// A real Sluice server on `127.0.0.1:0` for one test, stopped when the test ends.
final class TestServer {
    let server: Server
    var port: Int { server.port }

    /// The repository checked in at the top of the project.
    static let bundledModels = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("models").path

    /// XGBoost fixtures made by scripts/make_xgboost_fixtures.py.
    static let xgboostFixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SluiceBackendsTests/Fixtures/xgboost").path

    /// `logger` receives the server's log (default: only critical lines, dropped).
    init(models: String = TestServer.bundledModels, logger: Logger? = nil, configure: (inout ServerConfig) -> Void = { _ in }) throws {
        var config = ServerConfig()
        config.host = "127.0.0.1"
        config.port = 0
        config.threads = 2
        config.models = models
        config.scheduling.workers = 2
        configure(&config)
        var quiet = Logger(label: "sluice-test")
        quiet.logLevel = .critical
        server = try Server(config: config, logger: logger ?? quiet)
        try server.start()
    }

    deinit { server.stop() }

    func client() throws -> RawClient { try RawClient(port: port) }
}

/// A model repository in a fresh temporary folder, removed when released.
final class TemporaryRepository {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-e2e-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Copies `file` to `<model>/<version>/<name>`.
    func add(model: String, version: Int, file: String, as name: String) throws {
        let dir = "\(path)/\(model)/\(version)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: file, toPath: "\(dir)/\(name)")
    }

    func write(_ text: String, to relative: String) throws {
        let url = URL(fileURLWithPath: "\(path)/\(relative)")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}
