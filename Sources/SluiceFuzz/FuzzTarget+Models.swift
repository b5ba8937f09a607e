import Glibc
import SluiceBackends
import SluiceCore

extension FuzzTarget {
    /// Where the model loaders read the input from: they take a path, as the repository gives
    /// them, so the bytes go through the same file read as a model dropped into a version folder.
    /// One file per process (libFuzzer's `-fork` runs several), removed after each load.
    static let modelPath = "\(getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")/sluice-fuzz-\(getpid())"

    /// Loads `bytes` as the model file of `backend`, then runs the warm-up request the model
    /// manager runs before a version serves: zeros for every declared input, batch 1.
    static func loadModel(_ bytes: [UInt8], backend: String, fileName: String) {
        let path = "\(modelPath)-\(fileName)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot create \(path): errno \(errno)")
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        defer { unlink(path) }
        precondition(written == bytes.count, "cannot write \(path): errno \(errno)")
        guard let model = try? Backends.standard.load(BackendLoadRequest(file: path, backend: backend)) else { return }
        _ = try? Warmup.run(model)
    }
}
