import Foundation

/// A real model repository in a fresh temporary folder, removed when the test lets go of it.
/// Tests build the folder layout they need with `write` and `makeFolder`.
final class TemporaryRepository {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-repo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Writes `contents` at `relativePath`, creating the folders on the way.
    func write(_ relativePath: String, _ contents: String = "") throws {
        let path = "\(root)/\(relativePath)"
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
    }

    func makeFolder(_ relativePath: String) throws {
        try FileManager.default.createDirectory(atPath: "\(root)/\(relativePath)", withIntermediateDirectories: true)
    }
}
