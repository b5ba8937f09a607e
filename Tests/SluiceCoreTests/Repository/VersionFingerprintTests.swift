import Foundation
import Testing
@testable import SluiceCore

/// Fingerprints of real folders: what counts as "the files changed".
@Suite struct VersionFingerprintTests {
    let repo: TemporaryRepository
    init() throws { repo = try TemporaryRepository() }

    func fingerprint() -> VersionFingerprint {
        VersionFingerprint.read(directory: "\(repo.root)/m/1", modelConfig: "\(repo.root)/m/model.yaml")
    }

    @Test func sameFilesGiveTheSameFingerprint() throws {
        try repo.write("m/1/model.json", "{}")
        #expect(fingerprint() == fingerprint())
        #expect(fingerprint().files.map(\.name) == ["model.json"])
    }

    @Test func growingFileNewFileAndModelConfigEachChangeIt() throws {
        try repo.write("m/1/model.json", "{")
        let first = fingerprint()
        try repo.write("m/1/model.json", "{}")
        let second = fingerprint()
        #expect(first != second)
        try repo.write("m/1/extra/weights.bin", "1")
        let third = fingerprint()
        #expect(third != second)
        #expect(third.files.map(\.name) == ["extra/weights.bin", "model.json"])
        try repo.write("m/model.yaml", "warmup: false")
        #expect(fingerprint() != third)
    }

    @Test func singleModelVersion1CountsOnlyTheFilesBesideIt() throws {
        try repo.write("m/model.json", "{}")
        let root = "\(repo.root)/m"
        let before = VersionFingerprint.read(directory: root, modelConfig: "\(root)/model.yaml", topLevelOnly: true)
        try repo.write("m/2/model.json", "{}")   // another version copied in beside version 1's file
        let after = VersionFingerprint.read(directory: root, modelConfig: "\(root)/model.yaml", topLevelOnly: true)
        #expect(before == after)
        #expect(after.files.map(\.name) == ["model.json"])
    }

    @Test(arguments: [(1e300, Int64.max), (-1e300, Int64.min), (Double.nan, 0), (1.5, 1_500_000_000)] as [(Double, Int64)])
    func aModificationTimeOutsideInt64NanosecondsIsClamped(_ seconds: Double, _ expected: Int64) {
        #expect(VersionFingerprint.nanoseconds(seconds) == expected)
    }

    @Test func aFileDatedAfter2262IsFingerprintedWithoutTrapping() throws {
        try repo.write("m/1/model.json", "{}")
        let far = Date(timeIntervalSince1970: 1e10)   // the year 2286
        try FileManager.default.setAttributes([.modificationDate: far], ofItemAtPath: "\(repo.root)/m/1/model.json")
        #expect(fingerprint().files.first?.modified == .max)
    }

    @Test func manifestTextIsPartOfIt() throws {
        try repo.write("m/1/model.json", "{}")
        try repo.write("m/1/SHA256SUMS", "abc")
        #expect(fingerprint().checksums == "abc")
    }

    @Test func linkedFileIsMeasuredByItsTarget() throws {
        try repo.write("data/a.json", "{}")
        try repo.write("data/b.json", "{\"longer\": true}")
        try repo.makeFolder("m/1")
        try FileManager.default.createSymbolicLink(atPath: "\(repo.root)/m/1/model.json", withDestinationPath: "\(repo.root)/data/a.json")
        let before = fingerprint()
        #expect(before.files.map(\.size) == [2])
        try FileManager.default.removeItem(atPath: "\(repo.root)/m/1/model.json")
        try FileManager.default.createSymbolicLink(atPath: "\(repo.root)/m/1/model.json", withDestinationPath: "\(repo.root)/data/b.json")
        #expect(fingerprint() != before)
    }
}
