import Foundation

/// What a version folder looks like on disk, cheaply: the name, size and modification time of each
/// of its files (recursively), plus the model-level `model.yaml`'s, plus the text of its
/// `SHA256SUMS`. Two equal fingerprints mean "nothing was written in between" for the purposes of
/// the lifecycle: the stability wait (README "Model repository and bundles") and "retry a failed
/// version only when its files change".
///
/// Read by the model manager on the polling thread, once per version folder per poll (one
/// `stat` per file, no reads except `SHA256SUMS`). Never throws: a file that vanishes while it
/// is listed simply is not in the fingerprint, which then differs next time.
package struct VersionFingerprint: Sendable, Hashable {
    package struct File: Sendable, Hashable {
        package var name: String
        package var size: UInt64
        /// Modification time in nanoseconds since 1970, as precise as the file system keeps it.
        package var modified: Int64
    }

    /// Sorted by name.
    package var files: [File]
    package var checksums: String?

    package init(files: [File], checksums: String? = nil) {
        self.files = files.sorted { $0.name < $1.name }
        self.checksums = checksums
    }

    /// Reads the fingerprint of `directory`; `modelConfig` (the model folder's `model.yaml`) is
    /// included as `../model.yaml` so that fixing a broken model config retries its versions.
    /// With `topLevelOnly` (single-model mode's version 1, whose folder also holds the numbered
    /// versions) only the files directly in `directory` count, so copying in another version does
    /// not restart version 1's stability wait.
    package static func read(directory: String, modelConfig: String? = nil, topLevelOnly: Bool = false) -> VersionFingerprint {
        var files: [File] = []
        if topLevelOnly {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                if let file = stat("\(directory)/\(name)", as: name) { files.append(file) }
            }
        } else if let enumerator = FileManager.default.enumerator(atPath: directory) {
            while let name = enumerator.nextObject() as? String {
                if let file = stat("\(directory)/\(name)", as: name) { files.append(file) }
            }
        }
        if let modelConfig, let file = stat(modelConfig, as: "../model.yaml") { files.append(file) }
        let sums = FileManager.default.contents(atPath: "\(directory)/\(ChecksumManifest.fileName)")
        return VersionFingerprint(files: files, checksums: sums.map { String(decoding: $0, as: UTF8.self) })
    }

    /// Regular files only: a folder's own time changes with its entries, which the entries say.
    /// A link is measured by what it points to, because mounted volumes (Kubernetes ConfigMaps
    /// and Secrets) present every file as a link that is swapped on update.
    private static func stat(_ path: String, as name: String) -> File? {
        guard var attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        if attributes[.type] as? FileAttributeType == .typeSymbolicLink {
            let target = (path as NSString).resolvingSymlinksInPath
            guard let resolved = try? FileManager.default.attributesOfItem(atPath: target) else { return nil }
            attributes = resolved
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else { return nil }
        let size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        let seconds = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return File(name: name, size: size, modified: nanoseconds(seconds))
    }

    /// A modification time in nanoseconds, clamped: Int64 nanoseconds end in 2262 (and begin in
    /// 1677), and `touch -d 2300-01-01` is all it takes to make a file's time say otherwise.
    static func nanoseconds(_ seconds: Double) -> Int64 {
        let nanos = (seconds * 1e9).rounded()
        guard !nanos.isNaN else { return 0 }
        if nanos >= 9.2e18 { return .max }
        if nanos <= -9.2e18 { return .min }
        return Int64(nanos)
    }
}
