import Foundation

/// The fuzz inputs kept in the repository: `fuzz/corpus/<target>` (the seeds a run starts
/// from) and `fuzz/regressions/<target>` (every input that once crashed, replayed by
/// `make test`). Read by the replay test and by `sluice-fuzz` without libFuzzer.
package enum FuzzInput {
    /// The contents of the file at `path`, or nil when it cannot be read.
    package static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    /// The paths of the files directly in `directory`, sorted; none when it does not exist.
    package static func files(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().map { "\(directory)/\($0)" }.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }
}
