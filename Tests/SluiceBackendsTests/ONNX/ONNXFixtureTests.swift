import Foundation
import Synchronization
import SluiceBackends
import SluiceCore
import Testing

/// scripts/make_onnx_fixtures.py's reference cases (skl2onnx exports and torch-style MLP/CNN
/// graphs) and scripts/make_layout_fixtures.py's (a decoder, resampling), with onnxruntime's answers. Labels match exactly; values within the case's rtol
/// (1e-5, trees 1e-6) relative, or that much absolute near zero.
@Suite struct ONNXFixtureTests {
    /// Folders under Fixtures/onnx. Listed so each shows up as its own test;
    /// `everyFixtureIsListed` keeps the list honest.
    static let cases = [
        "cnn", "cnn_variants", "gradient_boosting_classifier", "gradient_boosting_multiclass",
        "gradient_boosting_regressor", "gru_linear_before_reset", "linear_regression", "logreg_binary",
        "logreg_multiclass", "lstm_bidirectional", "lstm_peepholes", "mlp", "mlp_classifier", "mlp_classifier_binary",
        "mlp_regressor", "normalizer_logreg", "normalizer_max_ridge", "random_forest_classifier",
        "random_forest_regressor", "reductions", "resampler", "ridge_two_targets", "rnn_reverse_relu",
        "scaler_logreg", "scan_cdist", "scan_cumsum", "transformer_block", "upsampler",
        // FP64 (scripts/make_double_fixtures.py)
        "linear_regression_double", "logreg_binary_double", "minmax_ridge_double", "mlp_classifier_binary_double",
        "mlp_classifier_double", "mlp_regressor_double", "pca_double", "random_forest_classifier_double",
        "scaler_logreg_multiclass_double",
        // depthwise Conv (scripts/make_depthwise_fixtures.py)
        "depthwise_block", "depthwise_odd", "depthwise_separable_pair", "depthwise_inverted_residual", "depthwise_windows",
        "depthwise_separable_odd", "pointwise_odd",
        // scikit-learn model kinds (scripts/make_model_kinds_fixtures.py)
        "gaussian_nb", "isolation_forest", "kmeans", "knn_classifier", "knn_regressor", "pca",
        // Winograd and the fused residual (scripts/make_conv_fixtures.py)
        "conv_winograd", "conv_winograd_residual", "conv_winograd_wide",
        // Dense layers on the packed kernels (scripts/make_dense_fixtures.py)
        "dense_packed",
        // decomposed LayerNorm and GELU (scripts/make_attention_fixtures.py)
        "bert_decomposed", "gelu_layernorm_forms", "pattern_near_misses", "layernorm_broadcast",
    ] + mlCases

    struct Fixture {
        var input: Tensor
        var rtol: Double
        var outputNames: [String]
        var outputs: [String: (shape: [Int], datatype: String, data: [Double])]

        /// input.json and expected.json, read with JSONDecoder, which parses every double
        /// exactly (JSONSerialization on Linux can be an ulp off, which an FP64 case notices).
        private struct InputFile: Decodable {
            var name: String
            var datatype: String
            var shape: [Int]
            var data: [Double?]
        }

        private struct ExpectedFile: Decodable {
            struct Output: Decodable {
                var shape: [Int]
                var datatype: String
                var data: [Double]
            }
            var rtol: Double
            var outputNames: [String]
            var outputs: [String: Output]

            enum CodingKeys: String, CodingKey {
                case rtol, outputs
                case outputNames = "output_names"
            }
        }

        init(_ name: String) throws {
            let folder = try ONNXFixtureTests.root().appendingPathComponent(name)
            let input = try JSONDecoder().decode(InputFile.self, from: Data(contentsOf: folder.appendingPathComponent("input.json")))
            let values = input.data.map { $0 ?? .nan }
            self.input = try Tensor(
                name: input.name, shape: input.shape,
                data: input.datatype == "FP64" ? .fp64(values) : .fp32(values.map { Float($0) }))
            let expected = try JSONDecoder().decode(
                ExpectedFile.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
            rtol = expected.rtol
            outputNames = expected.outputNames
            outputs = expected.outputs.mapValues { ($0.shape, $0.datatype, $0.data) }
        }
    }

    static func root() throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent("onnx")
    }

    static func load(_ name: String) throws -> any Backend {
        try Backends.standard.load(BackendLoadRequest(file: root().appendingPathComponent("\(name)/model.onnx").path, backend: "onnx"))
    }

    /// Fixture `name`'s model fed a batch of 0 rows (the input's other dimensions as they are)
    /// answers every output, in order, with 0 rows, the rest of onnxruntime's shape and no
    /// elements. For the suites whose kernels have an empty-batch path of their own; reports
    /// at the caller's line.
    static func expectAnEmptyBatchAnswersEmptyOutputs(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let fixture = try Fixture(name)
        let none: TensorData
        switch fixture.input.data {
        case .fp64: none = .fp64([])
        default: none = .fp32([])
        }
        let empty = try Tensor(name: fixture.input.name, shape: [0] + fixture.input.shape.dropFirst(), data: none)
        let outputs = try load(name).infer([empty])
        #expect(outputs.map(\.name) == fixture.outputNames, "\(name)", sourceLocation: sourceLocation)
        for output in outputs {
            let expected = try #require(fixture.outputs[output.name], sourceLocation: sourceLocation)
            #expect(output.shape == [0] + expected.shape.dropFirst(), "\(name): \(output.name)", sourceLocation: sourceLocation)
            #expect(output.data.count == 0, "\(name): \(output.name)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: cases)
    func modelAnswersAsOnnxruntimeDid(_ name: String) throws {
        let fixture = try Fixture(name)
        let backend = try Self.load(name)
        #expect(backend.platform == "onnx")
        #expect(backend.inputs.map(\.name) == [fixture.input.name])
        #expect(backend.outputs.map(\.name) == fixture.outputNames)
        let outputs = try backend.infer([fixture.input])
        #expect(outputs.map(\.name) == fixture.outputNames)
        for output in outputs {
            let expected = try #require(fixture.outputs[output.name])
            #expect(output.shape == expected.shape, "\(output.name)")
            #expect(output.datatype.rawValue == expected.datatype, "\(output.name)")
            switch output.data {
            case .int64(let labels):
                #expect(labels == expected.data.map { Int64($0) }, "\(output.name)")
            case .fp32, .fp64:
                let values = try #require(output.doubleValues())
                try #require(values.count == expected.data.count)
                for (i, (got, want)) in zip(values, expected.data).enumerated() {
                    let error = abs(got - want)
                    #expect(error <= fixture.rtol * max(abs(want), 1), "\(output.name)[\(i)]: \(got) vs \(want)")
                }
            default:
                Issue.record("unexpected datatype \(output.datatype) for \(output.name)")
            }
        }
    }

    @Test(arguments: cases)
    func batchesOfOneAnswerLikeTheWholeBatch(_ name: String) throws {
        let fixture = try Fixture(name)
        let backend = try Self.load(name)
        let whole = try backend.infer([fixture.input])
        let rows = fixture.input.shape[0]
        let width = fixture.input.data.count / rows
        for row in [0, rows / 2, rows - 1] {
            let slice = row * width..<(row + 1) * width
            let data: TensorData
            switch fixture.input.data {
            case .fp32(let values): data = .fp32(Array(values[slice]))
            case .fp64(let values): data = .fp64(Array(values[slice]))
            default: return
            }
            let one = try Tensor(name: fixture.input.name, shape: [1] + fixture.input.shape.dropFirst(), data: data)
            for (single, all) in zip(try backend.infer([one]), whole) {
                let w = single.data.count
                switch (single.data, all.data) {
                case (.fp32(let a), .fp32(let b)):
                    for (x, y) in zip(a, b[row * w..<(row + 1) * w]) { #expect(abs(x - y) <= 1e-5 * max(abs(y), 1)) }
                case (.fp64(let a), .fp64(let b)):
                    for (x, y) in zip(a, b[row * w..<(row + 1) * w]) { #expect(abs(x - y) <= 1e-12 * max(abs(y), 1)) }
                case (.int64(let a), .int64(let b)):
                    #expect(a == Array(b[row * w..<(row + 1) * w]))
                default:
                    Issue.record("output types differ")
                }
            }
        }
    }

    /// Requests run concurrently on one backend, each in its own pooled workspace: answers for
    /// different batch sizes interleaved on four threads equal the sequential ones.
    @Test(arguments: ["cnn", "mlp", "random_forest_classifier"])
    func concurrentRequestsOfMixedSizesGetTheirOwnAnswers(_ name: String) throws {
        let fixture = try Fixture(name)
        let backend = try Self.load(name)
        guard case .fp32(let values) = fixture.input.data else { return }
        let rows = fixture.input.shape[0], width = values.count / rows
        let inputs = try (1...rows).map { n in
            try Tensor(name: fixture.input.name, shape: [n] + fixture.input.shape.dropFirst(), data: .fp32(Array(values[0..<n * width])))
        }
        let sequential = try inputs.map { try backend.infer([$0]) }
        let mismatches = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for round in 0..<20 {
                let k = (thread * 7 + round * 5) % inputs.count
                let answer = try? backend.infer([inputs[k]])
                if answer != sequential[k] { mismatches.withLock { $0 += 1 } }
            }
        }
        #expect(mismatches.withLock { $0 } == 0)
    }

    @Test func everyFixtureIsListed() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.root().path).filter { $0 != "bad" && $0 != "hostile" }
        #expect(Set(folders) == Set(Self.cases))
    }

    @Test(arguments: [
        ("truncated.onnx", "not a valid ONNX model"),
        ("not_a_model.onnx", "not a valid ONNX model"),
        ("unsupported_op.onnx", "operator RoiAlign is not supported"),
        ("three_unsupported_ops.onnx", "3 operators are not supported"),
    ])
    func brokenOrUnsupportedFilesFailToLoadSayingWhy(_ file: String, _ reason: String) throws {
        let path = try Self.root().appendingPathComponent("bad/\(file)").path
        let error = #expect(throws: ServingError.self) {
            try Backends.standard.load(BackendLoadRequest(file: path, backend: "onnx"))
        }
        guard case .loadFailure(let message) = error else {
            Issue.record("expected loadFailure, got \(String(describing: error))")
            return
        }
        #expect(message.hasPrefix("\(file): "), "\(message)")
        #expect(message.contains(reason), "\(message)")
    }
}
