import Foundation
import SluiceBackends
import SluiceCore
import Testing

/// ONNX's own backend tests (Debian's libonnx-testdata, installed by `scripts/ensure-deps.sh
/// test`): every test whose operators we all claim must load and match its reference outputs,
/// unless listed in `refusedAtLoad` with the reason. All node tests are tried and counted.
@Suite struct ONNXConformanceTests {
    static let root = "/usr/share/libonnx-testdata/data"

    /// Why a test of claimed operators may be refused at load, on purpose: its load error must
    /// contain one of these phrases. Refusing is allowed (the error names the node and why); a
    /// wrong answer never is, and any other load failure fails the test.
    static let acceptedRefusals: [(phrase: String, reason: String)] = [
        ("element type", "tensors of uint8, int8, uint16, int16, uint32, uint64, float16 or bfloat16, or of a type an operator does not take (Neg on int64, or Max on strings, say): FP32 is the compute type, with int64, int32, bool, double and string where operators need them"),
        ("casting to", "casts to the same unsupported element types, and floats to strings (ONNX's reference and onnxruntime write different text)"),
        ("is not a tensor", "sequence and optional values"),
        ("training", "training mode (Dropout with training_mode, BatchNormalization answering running statistics): inference only"),
        ("Scan before opset 9", "opset 8's Scan, with a batch axis and sequence_lens, which opset 9 replaced"),
    ]

    /// ONNX's runner compares with numpy.testing.assert_allclose(rtol=1e-3, atol=1e-7).
    static let rtol = 1e-3
    static let atol = 1e-7

    struct Outcome {
        var total = 0, claimed = 0, loaded = 0, passed = 0, refused = 0
        var failures: [String] = []
        var refusals: [String] = []
    }

    static var claimed: Set<String> {
        Set(Operators.onnx.map { ":" + $0 } + Operators.ml.map { "ai.onnx.ml:" + $0 } + Operators.microsoft.map { "com.microsoft:" + $0 })
    }

    static func run(_ set: String) throws -> Outcome {
        let folder = "\(root)/\(set)"
        var isDir: ObjCBool = false
        try #require(
            FileManager.default.fileExists(atPath: folder, isDirectory: &isDir) && isDir.boolValue,
            "ONNX test data missing at \(folder): run scripts/ensure-deps.sh test (installs libonnx-testdata)")
        let tests = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        var outcome = Outcome()
        for test in tests {
            let dir = "\(folder)/\(test)"
            guard FileManager.default.fileExists(atPath: "\(dir)/model.onnx") else { continue }
            outcome.total += 1
            let ops = try ONNXFile.operators("\(dir)/model.onnx")
            let isClaimed = ops.allSatisfy { claimed.contains("\($0.domain):\($0.op)") }
            if isClaimed { outcome.claimed += 1 }
            let backend: any Backend
            do {
                backend = try Backends.standard.load(BackendLoadRequest(file: "\(dir)/model.onnx", backend: "onnx"))
            } catch {
                if isClaimed {
                    if acceptedRefusals.contains(where: { "\(error)".contains($0.phrase) }) {
                        outcome.refused += 1
                        outcome.refusals.append("\(test): \(error)")
                    } else {
                        outcome.failures.append("\(test): load failed: \(error)")
                    }
                }
                continue
            }
            outcome.loaded += 1
            if let problem = check(backend, dir) {
                if isClaimed { outcome.failures.append("\(test): \(problem)") }
            } else {
                outcome.passed += 1
            }
        }
        return outcome
    }

    /// Runs every test_data_set_* of one test; nil when all match.
    static func check(_ backend: any Backend, _ dir: String) -> String? {
        let sets = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("test_data_set") }.sorted()
        guard !sets.isEmpty else { return "no test data" }
        for set in sets {
            let path = "\(dir)/\(set)"
            do {
                let inputs = try (0..<backend.inputs.count).map { i in
                    var t = try ONNXFile.tensor("\(path)/input_\(i).pb")
                    t.name = backend.inputs[i].name
                    return t
                }
                let expected = try (0..<backend.outputs.count).map { try ONNXFile.tensor("\(path)/output_\($0).pb") }
                let outputs = try backend.infer(inputs)
                for (k, (got, want)) in zip(outputs, expected).enumerated() {
                    if let problem = compare(got, want) { return "\(set) output \(k): \(problem)" }
                }
            } catch {
                return "\(set): \(error)"
            }
        }
        return nil
    }

    static func compare(_ got: Tensor, _ want: Tensor) -> String? {
        guard got.shape == want.shape || (got.data.count == want.data.count && got.shape.reduce(1, *) == want.shape.reduce(1, *) && want.shape.isEmpty) else {
            return "shape \(got.shape), expected \(want.shape)"
        }
        guard got.datatype == want.datatype else { return "type \(got.datatype), expected \(want.datatype)" }
        switch (got.data, want.data) {
        case (.fp32(let a), .fp32(let b)): return close(a.map(Double.init), b.map(Double.init))
        case (.fp64(let a), .fp64(let b)): return close(a, b)
        default: return got.data == want.data ? nil : "values differ"
        }
    }

    static func close(_ a: [Double], _ b: [Double]) -> String? {
        for (i, (x, y)) in zip(a, b).enumerated() {
            if x.isNaN && y.isNaN { continue }
            if x == y { continue }
            guard abs(x - y) <= atol + rtol * abs(y) else { return "element \(i): \(x), expected \(y)" }
        }
        return nil
    }

    static func report(_ set: String, _ o: Outcome) {
        print("ONNX conformance \(set): \(o.passed) of \(o.total) tests pass; claimed ops: \(o.claimed) tests, \(o.claimed - o.refused - o.failures.count) pass, \(o.refused) refused at load for a documented reason, \(o.failures.count) fail")
        for f in o.failures { print("  FAIL \(f)") }
        if ProcessInfo.processInfo.environment["ONNX_CONFORMANCE_VERBOSE"] != nil {
            for r in o.refusals { print("  refused \(r)") }
        }
    }

    @Test func nodeTestsOfClaimedOperatorsPass() throws {
        let o = try Self.run("node")
        Self.report("node", o)
        #expect(o.claimed > 100)
        #expect(o.failures.isEmpty, "\(o.failures.joined(separator: "\n"))")
    }

    @Test func pytorchConvertedTestsOfClaimedOperatorsPass() throws {
        let o = try Self.run("pytorch-converted")
        Self.report("pytorch-converted", o)
        #expect(o.claimed > 10)
        #expect(o.failures.isEmpty, "\(o.failures.joined(separator: "\n"))")
    }

    @Test func pytorchOperatorTestsOfClaimedOperatorsPass() throws {
        let o = try Self.run("pytorch-operator")
        Self.report("pytorch-operator", o)
        #expect(o.claimed > 5)
        #expect(o.failures.isEmpty, "\(o.failures.joined(separator: "\n"))")
    }
}
