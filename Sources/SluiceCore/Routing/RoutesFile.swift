import Foundation

/// The routes file on disk, as the control plane sees it between starts: one look for the watch,
/// and whether the admin API may write it. Blocking I/O; called by `Routes` under its control
/// lock, never by a request.
package enum RoutesFile {
    /// Reads the file through any symlinks (a ConfigMap's `routes.yaml -> ..data/routes.yaml`).
    package static func look(_ path: String) -> RoutesFileWatch.Observation {
        var info = stat()
        if stat(path, &info) != 0 { return .unreadable("is gone (\(String(cString: strerror(errno))))") }
        switch ConfigReader.bytes(path) {
        case .success(let bytes): return .content(bytes)
        case .failure(let refusal): return .unreadable(refusal.reason)
        }
    }

    /// Why `PUT /v2/routes/{r}` must not write `path`, or nil when it may: the file is one the
    /// kubelet projects from a ConfigMap or Secret (a symlink into `..data/`, which the next update
    /// replaces whatever is written), or the file or its folder is read-only for this process (a
    /// read-only mount such as a ConfigMap's, or permissions). A file that does not exist yet is
    /// judged by its folder.
    package static func readOnlyReason(_ path: String) -> String? {
        let refusal = "the routes file \(path) is read-only (a ConfigMap?): edit the ConfigMap (or the file) instead; the server re-reads it every poll_interval"
        if isKubeletProjection(path) { return refusal }
        if access(path, F_OK) == 0, !isWritable(path) { return refusal }
        let folder = (path as NSString).deletingLastPathComponent
        if !isWritable(folder.isEmpty ? "." : folder) { return refusal }
        return nil
    }

    /// The kubelet's layout for a ConfigMap or Secret volume: every key is a symlink
    /// `key -> ..data/key`, and an update swaps the `..data` symlink to a new timestamped folder.
    package static func isKubeletProjection(_ path: String) -> Bool {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return false }
        let target = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return target.hasPrefix("..data/")
    }

    /// `access(W_OK)` with its reasons for "no": a read-only file system, permissions, or an
    /// immutable inode. Other failures (say, a folder that does not exist) are left to the write
    /// to report, as a 500.
    private static func isWritable(_ path: String) -> Bool {
        guard access(path, W_OK) != 0 else { return true }
        let reason = errno
        return reason != EROFS && reason != EACCES && reason != EPERM
    }
}
