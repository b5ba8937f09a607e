import Foundation
import SluiceCore
import Testing
@testable import SluiceBackends

extension ONNXFixtureTests {
    /// scripts/make_ml_fixtures.py's cases (issue 18): SVMs, preprocessing pipelines, ZipMap.
    static let mlCases = [
        "binarizer_logreg", "imputer_logreg", "linear_svc_3class", "linear_svc_binary", "linear_svr",
        "normalizer_l1_svc", "nusvc_poly_3class", "nusvr_poly", "one_class_svm", "scalers_ridge",
        "svc_linear_3class", "svc_linear_3class_proba", "svc_linear_binary", "svc_linear_binary_proba", "svc_poly_3class",
        "svc_poly_3class_proba", "svc_poly_binary", "svc_poly_binary_proba", "svc_rbf_3class", "svc_rbf_3class_proba",
        "svc_rbf_binary", "svc_rbf_binary_proba", "svc_sigmoid_3class", "svc_sigmoid_3class_proba", "svc_sigmoid_binary",
        "svc_sigmoid_binary_proba", "svm_linear_form_classifier", "svm_linear_form_regressor", "svr_rbf", "zipmap_logreg",
        "zipmap_random_forest",
    ]
}

/// The ai.onnx.ml operators of issue 18 beyond the reference answers `ONNXFixtureTests` checks:
/// batches of 8 and 0 rows, ZipMap served as its probabilities with a note, refusals that list
/// every unsupported operator, and requests an operator cannot answer.
@Suite struct MLOperatorTests {
    /// The first `rows` rows of a fixture's input.
    static func rows(_ fixture: ONNXFixtureTests.Fixture, _ rows: Int) throws -> Tensor {
        guard case .fp32(let values) = fixture.input.data else { throw ServingError.invalidInput("not FP32") }
        let width = values.count / fixture.input.shape[0]
        return try Tensor(
            name: fixture.input.name, shape: [rows] + fixture.input.shape.dropFirst(), data: .fp32(Array(values[0..<rows * width])))
    }

    @Test(arguments: ONNXFixtureTests.mlCases)
    func eightRowsAnswerLikeTheFirstEightOfTheWholeBatch(_ name: String) throws {
        let fixture = try ONNXFixtureTests.Fixture(name)
        let backend = try ONNXFixtureTests.load(name)
        let whole = try backend.infer([fixture.input])
        let eight = try backend.infer([try Self.rows(fixture, 8)])
        for (part, all) in zip(eight, whole) {
            #expect(part.shape == [8] + all.shape.dropFirst(), "\(part.name)")
            let w = part.data.count / 8
            switch (part.data, all.data) {
            case (.fp32(let a), .fp32(let b)): #expect(a == Array(b[0..<8 * w]), "\(part.name)")
            case (.int64(let a), .int64(let b)): #expect(a == Array(b[0..<8 * w]), "\(part.name)")
            default: Issue.record("output types differ for \(part.name)")
            }
        }
    }

    @Test(arguments: ONNXFixtureTests.mlCases)
    func zeroRowsAnswerEmptyOutputsOfTheRightWidth(_ name: String) throws {
        let fixture = try ONNXFixtureTests.Fixture(name)
        let backend = try ONNXFixtureTests.load(name)
        let whole = try backend.infer([fixture.input])
        let none = try backend.infer([try Self.rows(fixture, 0)])
        #expect(none.map(\.name) == whole.map(\.name))
        for (empty, all) in zip(none, whole) {
            #expect(empty.shape == [0] + all.shape.dropFirst(), "\(empty.name)")
            #expect(empty.data.count == 0)
        }
    }

    @Test(arguments: [("zipmap_logreg", 3), ("zipmap_random_forest", 2)])
    func aZipMapServesItsProbabilitiesTensorAndSaysSo(_ name: String, _ classes: Int) throws {
        let backend = try ONNXFixtureTests.load(name)
        let probabilities = try #require(backend.outputs.first { $0.name == "output_probability" })
        #expect(probabilities.datatype == .fp32)
        #expect(probabilities.shape == [-1, classes])
        #expect(backend.batchesRows)
        #expect(backend.notes.count == 1)
        let note = try #require(backend.notes.first)
        #expect(note.contains("ZipMap"), "\(note)")
        #expect(note.contains("FP32 [rows, \(classes)]"), "\(note)")
    }

    @Test func theZipMapFixtureOfTheBadFolderNowLoads() throws {
        let path = try ONNXFixtureTests.root().appendingPathComponent("bad/zipmap.onnx").path
        let backend = try Backends.standard.load(BackendLoadRequest(file: path, backend: "onnx"))
        #expect(backend.outputs.map(\.name) == ["output_label", "output_probability"])
        #expect(backend.notes.first?.contains("ZipMap") == true)
    }

    @Test func modelsWithoutAZipMapHaveNoNotes() throws {
        #expect(try ONNXFixtureTests.load("logreg_binary").notes.isEmpty)
    }

    @Test func aRefusalListsEveryUnsupportedOperatorWithCountsFirstNodesAndFixes() throws {
        let path = try ONNXFixtureTests.root().appendingPathComponent("bad/three_unsupported_ops.onnx").path
        let error = #expect(throws: ServingError.self) {
            try Backends.standard.load(BackendLoadRequest(file: path, backend: "onnx"))
        }
        guard case .loadFailure(let message) = error else {
            Issue.record("expected loadFailure, got \(String(describing: error))")
            return
        }
        #expect(message.hasPrefix("three_unsupported_ops.onnx: 3 operators are not supported: "), "\(message)")
        #expect(message.contains("com.microsoft.FusedMatMul (1 node, first 'fused'): an onnxruntime contrib operator"), "\(message)")
        #expect(message.contains("ai.onnx.ml.FeatureVectorizer (2 nodes, first 'vectorize_1')"), "\(message)")
        #expect(message.contains("; Unique (1 node, first 'unique')"), "\(message)")
    }

    @Test func aDoubleInputTheOperatorTakesAsFloatSaysToReExportWithFloatTensorType() throws {
        var node = ONNXGraph.node("Binarizer", ["x"], ["y"], name: "binarize")
        node.domain = "ai.onnx.ml"
        let error = #expect(throws: ServingError.self) {
            try ONNXGraph.backend([node], inputs: [ONNXGraph.value("x", [nil, 3], type: 11)], outputs: ["y"], ml: true)
        }
        #expect(error?.description.contains("re-export with FloatTensorType") == true, "\(String(describing: error))")
    }

    @Test func aBinarizerRefusesNaNAsARequestError() throws {
        var node = ONNXGraph.node("Binarizer", ["x"], ["y"], name: "binarize")
        node.domain = "ai.onnx.ml"
        let backend = try ONNXGraph.backend([node], inputs: [ONNXGraph.value("x", [nil, 2])], outputs: ["y"], ml: true)
        let ok = try backend.infer([Tensor(name: "x", shape: [2, 2], data: .fp32([-1, 0, 0.5, 2]))])
        #expect(ok.first?.data == .fp32([0, 0, 1, 1]))
        #expect(throws: ServingError.invalidInput("Binarizer 'binarize': element 1 is NaN, which has no binary value")) {
            try backend.infer([Tensor(name: "x", shape: [1, 2], data: .fp32([1, .nan]))])
        }
    }

    @Test func anImputerOfInt64ReplacesItsValuePerColumn() throws {
        var node = ONNXGraph.node(
            "Imputer", ["x"], ["y"], name: "impute", int: ["replaced_value_int64": -1], ints: ["imputed_value_int64s": [10, 20]])
        node.domain = "ai.onnx.ml"
        let backend = try ONNXGraph.backend([node], inputs: [ONNXGraph.value("x", [nil, 2], type: 7)], outputs: ["y"], ml: true)
        let answer = try backend.infer([Tensor(name: "x", shape: [3, 2], data: .int64([-1, 5, 7, -1, -1, -1]))])
        #expect(answer.first?.data == .int64([10, 5, 7, 20, 10, 20]))
    }

    /// A model whose support vectors are too many for the tensor limit at this batch size
    /// answers 400 instead of allocating the kernel matrix.
    @Test func aKernelMatrixBeyondTheLimitIsARequestError() throws {
        let path = try ONNXFixtureTests.root().appendingPathComponent("svr_rbf/model.onnx").path
        let backend = try Backends.standard.load(BackendLoadRequest(file: path, backend: "onnx", limits: ONNXGraph.limits(2000)))
        let input = try Tensor(name: "input", shape: [300, 6], data: .fp32(Array(repeating: 0.5, count: 1800)))
        let error = #expect(throws: ServingError.self) { try backend.infer([input]) }
        guard case .invalidInput(let message) = error else {
            Issue.record("expected invalidInput, got \(String(describing: error))")
            return
        }
        #expect(message.contains("kernel matrix"), "\(message)")
    }

    /// An SVMClassifier node with the given attributes over a [N, 2] input.
    static func svmClassifier(_ attributes: [Onnx_AttributeProto]) throws(ServingError) -> ONNXBackend {
        var node = ONNXGraph.node("SVMClassifier", ["x"], ["label", "scores"], name: "svm")
        node.domain = "ai.onnx.ml"
        node.attribute = attributes
        return try ONNXGraph.backend([node], inputs: [ONNXGraph.value("x", [nil, 2])], outputs: ["label", "scores"], ml: true)
    }

    static func attribute(_ name: String, floats: [Float] = [], ints: [Int64] = [], strings: [String] = []) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        if !floats.isEmpty { a.type = .floats; a.floats = floats }
        if !ints.isEmpty { a.type = .ints; a.ints = ints }
        if !strings.isEmpty { a.type = .strings; a.strings = strings.map { Data($0.utf8) } }
        return a
    }

    @Test func stringClassLabelsAnswerBytes() throws {
        let backend = try Self.svmClassifier([
            Self.attribute("classlabels_strings", strings: ["a", "b"]), Self.attribute("coefficients", floats: [1, 2, 3, 4]),
            Self.attribute("rho", floats: [0]),
        ])
        #expect(backend.outputs.map(\.datatype) == [.bytes, .fp32])
        let answer = try backend.infer([try Tensor(name: "x", shape: [3, 2], data: .fp32([1, 1, -1, -1, 0.5, -2]))])
        guard case .bytes(let labels) = answer[0].data else {
            Issue.record("label is \(answer[0].datatype), not BYTES")
            return
        }
        #expect(labels.count == 3 && labels.allSatisfy { $0 == Array("a".utf8) || $0 == Array("b".utf8) }, "\(labels)")
    }

    @Test(arguments: [
        // Three vectors declared, four values given.
        ([Self.attribute("vectors_per_class", ints: [1, 2]), Self.attribute("support_vectors", floats: [1, 2, 3, 4])],
         "4 support vector values do not divide into 3 vectors"),
        // Too few coefficients for (classes - 1) × vectors.
        ([Self.attribute("vectors_per_class", ints: [1, 1]), Self.attribute("support_vectors", floats: [1, 2, 3, 4])],
         "1 coefficients; 2 classes and 2 vectors need 2"),
        ([Self.attribute("vectors_per_class", ints: [-1, 1]), Self.attribute("support_vectors", floats: [1, 2])],
         "vectors_per_class [-1, 1] is negative"),
    ])
    func inconsistentSupportVectorAttributesFailTheLoad(_ extra: [Onnx_AttributeProto], _ reason: String) throws {
        let error = #expect(throws: ServingError.self) {
            try Self.svmClassifier([
                Self.attribute("classlabels_ints", ints: [0, 1]), Self.attribute("coefficients", floats: [1]),
                Self.attribute("rho", floats: [0]),
            ] + extra)
        }
        #expect(error?.description.contains(reason) == true, "\(String(describing: error))")
    }
}
