import Foundation
import SluiceFuzz
import Testing

/// Every seed and every input that once crashed a fuzzer, run again through the same entry the
/// fuzzer calls (`FuzzTarget.run`): a fix that regresses traps here, in every `make test`,
/// without a fuzzing build.
@Suite struct CorpusReplayTests {
    /// The repository root, from this file's place in it.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test(arguments: FuzzTarget.allCases)
    func everySeedAndPastCrashRunsThroughItsTarget(_ target: FuzzTarget) throws {
        let seeds = FuzzInput.files(in: "\(Self.root)/fuzz/corpus/\(target.rawValue)")
        #expect(!seeds.isEmpty, "fuzz/corpus/\(target.rawValue) has no seeds")
        let regressions = FuzzInput.files(in: "\(Self.root)/fuzz/regressions/\(target.rawValue)")
        for path in seeds + regressions {
            let bytes = try #require(FuzzInput.read(path), "cannot read \(path)")
            target.run(bytes)
        }
    }
}
