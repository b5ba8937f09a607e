import Foundation

/// Whether a version folder matches its `SHA256SUMS` (README "Model repository and bundles"): the
/// rule that keeps a half-copied bundle from loading when its publisher wrote a manifest.
package enum ChecksumStatus: Sendable, Equatable {
    /// No `SHA256SUMS` in the folder: the stability wait decides instead.
    case absent
    /// Every listed file exists and has the listed digest.
    case matching
    /// A listed file is missing or differs, or the manifest cannot be read; the reason says which.
    case mismatch(String)
}

/// A parsed `SHA256SUMS` (the format `sha256sum` writes: `<64 hex> <space or *><file name>`, one
/// per line, names relative to the version folder) and the check of a folder against it.
///
/// Called by the model manager on the polling thread, only for versions the policy aspires to
/// and only when their fingerprint changed since the last check (hashing reads every byte).
/// Never throws: every problem is a `.mismatch` reason.
package struct ChecksumManifest: Sendable {
    package static let fileName = "SHA256SUMS"

    /// File name to lower-case hex digest, in manifest order.
    package var entries: [(file: String, digest: String)]

    /// Parses the manifest text. A line that is not `digest name` makes the whole manifest
    /// invalid: a manifest we cannot read cannot vouch for anything.
    package static func parse(_ text: String) -> Result<ChecksumManifest, BundleError> {
        var entries: [(file: String, digest: String)] = []
        // `isNewline` rather than "\n": a manifest written on Windows ends its lines with "\r\n",
        // which Swift reads as one Character.
        for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let digest = line.prefix(64)
            let rest = line.dropFirst(64)
            guard digest.count == 64, digest.allSatisfy(\.isHexDigit), rest.count >= 2, rest.first == " ",
                let mode = rest.dropFirst().first, mode == " " || mode == "*"
            else {
                return .failure(BundleError(reason: "\(fileName) line \(number + 1) is not '<sha256> <file>'"))
            }
            let file = String(rest.dropFirst(2))
            guard !file.isEmpty, !file.hasPrefix("/"), !file.split(separator: "/").contains("..") else {
                return .failure(BundleError(reason: "\(fileName) line \(number + 1): '\(file)' is not inside the version folder"))
            }
            entries.append((file, digest.lowercased()))
        }
        guard !entries.isEmpty else { return .failure(BundleError(reason: "\(fileName) lists no files")) }
        return .success(ChecksumManifest(entries: entries))
    }

    /// Checks the version folder at `directory` against its `SHA256SUMS`, if it has one.
    package static func check(directory: String) -> ChecksumStatus {
        let path = "\(directory)/\(fileName)"
        guard FileManager.default.fileExists(atPath: path) else { return .absent }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .mismatch("\(fileName) cannot be read")
        }
        switch parse(String(decoding: data, as: UTF8.self)) {
        case .failure(let error): return .mismatch(error.reason)
        case .success(let manifest): return manifest.check(directory: directory)
        }
    }

    /// Hashes every listed file and compares; stops at the first that differs.
    package func check(directory: String) -> ChecksumStatus {
        for (file, digest) in entries {
            guard let actual = Self.hexDigest(ofFile: "\(directory)/\(file)") else {
                return .mismatch("\(file) is listed in \(Self.fileName) but cannot be read")
            }
            guard actual == digest else { return .mismatch("\(file) does not match its \(Self.fileName) digest") }
        }
        return .matching
    }

    /// The file's SHA-256 in hex, read in 1 MiB chunks so a large model is never held twice; nil
    /// when the file cannot be opened or read.
    package static func hexDigest(ofFile path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            // `read(upToCount:)` answers nil (or empty data) at the end of the file.
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                hasher.update([UInt8](chunk))
            }
        } catch {
            return nil
        }
        return SHA256.hex(hasher.finalize())
    }
}
