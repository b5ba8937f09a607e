import Foundation
import Testing
@testable import SluiceCore

/// SHA-256 against FIPS 180-4's vectors and the system's `sha256sum`.
@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func knownVectors(message: String, digest: String) {
        #expect(SHA256.hex(SHA256.digest(Array(message.utf8))) == digest)
    }

    @Test func oneMillionAsInUnevenChunks() {
        var hasher = SHA256()
        var left = 1_000_000
        var chunk = 1
        while left > 0 {
            let n = min(chunk, left)
            hasher.update([UInt8](repeating: UInt8(ascii: "a"), count: n))
            left -= n
            chunk = chunk * 3 % 997 + 1
        }
        #expect(SHA256.hex(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func padsEveryLengthAroundABlockEdgeLikeSha256sum() throws {
        let repo = try TemporaryRepository()
        var bytes: [UInt8] = []
        for length in [55, 56, 63, 64, 65, 119, 120, 128] {
            bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ length) }
            let path = "\(repo.root)/f\(length)"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(ChecksumManifest.hexDigest(ofFile: path) == (try Self.sha256sum(path)))
        }
        // Larger than one read chunk, so the file path crosses chunks too.
        bytes = (0..<(3 << 20) + 17).map { UInt8(truncatingIfNeeded: $0 ^ ($0 >> 9)) }
        let big = "\(repo.root)/big"
        try Data(bytes).write(to: URL(fileURLWithPath: big))
        #expect(ChecksumManifest.hexDigest(ofFile: big) == (try Self.sha256sum(big)))
    }

    /// The digest `sha256sum` prints for `path`.
    static func sha256sum(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output.prefix(64), as: UTF8.self)
    }
}

/// `SHA256SUMS` as `sha256sum` writes it, checked against real folders.
@Suite struct ChecksumManifestTests {
    let repo: TemporaryRepository
    init() throws { repo = try TemporaryRepository() }

    func writeSums(_ folder: String, files: [String]) throws {
        let lines = try files.map { file in "\(try SHA256Tests.sha256sum("\(repo.root)/\(folder)/\(file)"))  \(file)" }
        try repo.write("\(folder)/SHA256SUMS", lines.joined(separator: "\n") + "\n")
    }

    @Test func folderWithoutManifestIsAbsent() throws {
        try repo.write("m/1/model.json", "{}")
        #expect(ChecksumManifest.check(directory: "\(repo.root)/m/1") == .absent)
    }

    @Test func matchingFilesMatch() throws {
        try repo.write("m/1/model.json", "{\"trees\": []}")
        try repo.write("m/1/model.yaml", "inputs: []")
        try writeSums("m/1", files: ["model.json", "model.yaml"])
        #expect(ChecksumManifest.check(directory: "\(repo.root)/m/1") == .matching)
    }

    @Test func manifestWithWindowsLineEndingsIsRead() throws {
        try repo.write("m/1/model.json", "{}")
        let digest = try SHA256Tests.sha256sum("\(repo.root)/m/1/model.json")
        try repo.write("m/1/SHA256SUMS", "\(digest) *model.json\r\n")
        #expect(ChecksumManifest.check(directory: "\(repo.root)/m/1") == .matching)
    }

    @Test func halfWrittenFileDoesNotMatch() throws {
        try repo.write("m/1/model.json", "{\"trees\": []}")
        try writeSums("m/1", files: ["model.json"])
        try repo.write("m/1/model.json", "{\"tre")
        #expect(ChecksumManifest.check(directory: "\(repo.root)/m/1")
            == .mismatch("model.json does not match its SHA256SUMS digest"))
    }

    @Test func listedFileNotYetCopiedDoesNotMatch() throws {
        try repo.write("m/1/SHA256SUMS", "\(String(repeating: "ab", count: 32)) *model.json\n")
        #expect(ChecksumManifest.check(directory: "\(repo.root)/m/1")
            == .mismatch("model.json is listed in SHA256SUMS but cannot be read"))
    }

    @Test(arguments: ["not a digest  model.json\n", "\(String(repeating: "0", count: 64))  ../../x\n", "\n"])
    func unreadableManifestVouchesForNothing(text: String) throws {
        try repo.write("m/1/model.json", "{}")
        try repo.write("m/1/SHA256SUMS", text)
        let status = ChecksumManifest.check(directory: "\(repo.root)/m/1")
        #expect(status != .matching && status != .absent)
    }
}
