import Foundation

/// A folder laid out as the kubelet lays out a mounted ConfigMap (its `AtomicWriter`): the files
/// live in a timestamped folder `..2026_12_06_23_00_00.000000001/`, `..data` is a symlink to it,
/// and each key is a symlink `routes.yaml -> ..data/routes.yaml`. `update` swaps the way the
/// kubelet does: a new timestamped folder, a `..data_tmp` symlink to it renamed over `..data` (one
/// atomic step), then the old folder removed.
final class ConfigMapFolder {
    let path: String
    private var generation = 0
    private var current: String?

    init(_ files: [String: String]) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-configmap-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try update(files)
        for name in files.keys {
            try FileManager.default.createSymbolicLink(atPath: "\(path)/\(name)", withDestinationPath: "..data/\(name)")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path a server is given: `<folder>/<key>`, itself a symlink.
    func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Publishes `files` as the next version of the ConfigMap, in one rename.
    func update(_ files: [String: String]) throws {
        generation += 1
        let folder = String(format: "..2026_12_06_23_00_00.%09d", generation)
        try FileManager.default.createDirectory(atPath: "\(path)/\(folder)", withIntermediateDirectories: false)
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: "\(path)/\(folder)/\(name)")) }
        try FileManager.default.createSymbolicLink(atPath: "\(path)/..data_tmp", withDestinationPath: folder)
        guard rename("\(path)/..data_tmp", "\(path)/..data") == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: "\(path)/..data"])
        }
        if let current { try FileManager.default.removeItem(atPath: "\(path)/\(current)") }
        current = folder
    }
}
