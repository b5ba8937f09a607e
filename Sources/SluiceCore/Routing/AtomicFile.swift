import Foundation

/// Writes a file so that a crash leaves either the old content or the new, never a mix: the
/// text goes to a temporary file in the same folder, which is flushed (`fsync`) and renamed
/// over the target, and the folder is flushed so the rename itself survives a power cut.
/// Used by the control plane for `routes.yaml` and the canary state file; blocking I/O.
package enum AtomicFile {
    package static func write(_ text: String, to path: String) throws(ConfigError) {
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = (folder.isEmpty ? "." : folder) + "/.\((path as NSString).lastPathComponent).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(path, "cannot create \(temporary)") }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                close(fd)
                unlink(temporary)
                throw failure(path, "cannot write")
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            close(fd)
            unlink(temporary)
            throw failure(path, "cannot flush")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw failure(path, "cannot replace")
        }
        let dir = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
    }

    private static func failure(_ path: String, _ what: String) -> ConfigError {
        ConfigError(file: path, keyPath: "", reason: "\(what): \(String(cString: strerror(errno)))")
    }
}
