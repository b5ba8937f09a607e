import Foundation
import SluiceBackends
import SluiceCore
import Testing

/// Damaged model files either load (and then infer without trapping) or fail with loadFailure:
/// the process must survive whatever bytes a model repository holds.
@Suite struct XGBoostCorruptionTests {
    /// A small deterministic generator, so a failure reproduces.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test(arguments: [
        "categorical/model.ubj", "categorical/model.json", "multi_softprob/model.ubj",
        "early_stop_binary/model.ubj", "gblinear_binary/model.ubj", "vector_leaf_regression/model.ubj",
        "xgb2_vector_leaf_regression/model.ubj",
    ])
    func damagedFilesNeverCrash(_ model: String) throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TreeFixture.path("xgboost", model))))
        let fixture = try TreeFixture("xgboost", String(model.split(separator: "/")[0]))
        let input = try fixture.inputTensor
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-corrupt-\(getpid())-\(model.replacingOccurrences(of: "/", with: "-"))")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var random = SplitMix(state: 42)
        for attempt in 0..<300 {
            var bytes = original
            if attempt % 3 == 0 {
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            } else {
                for _ in 0..<(1 + attempt % 4) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            }
            try Data(bytes).write(to: scratch)
            do {
                let backend = try Backends.standard.load(BackendLoadRequest(file: scratch.path, backend: "xgboost"))
                _ = try? backend.infer([input])
            } catch {
                guard case .loadFailure = error else {
                    Issue.record("attempt \(attempt): expected loadFailure, got \(error)")
                    continue
                }
            }
        }
    }
}
