import SluiceBackends
import SluiceCore
import Testing

/// The default signature, its renaming by model.yaml, and the requests it refuses.
@Suite struct XGBoostSignatureTests {
    static func load(_ model: String, inputs: [TensorSpec] = [], outputs: [TensorSpec] = []) throws -> any Backend {
        try Backends.standard.load(BackendLoadRequest(
            file: TreeFixture.path("xgboost", model), backend: "xgboost", inputs: inputs, outputs: outputs))
    }

    @Test func classifierDeclaresProbabilitiesAndLabel() throws {
        let backend = try Self.load("multi_softprob/model.json")
        #expect(backend.platform == "xgboost")
        #expect(backend.inputs == [TensorSpec(name: "input", datatype: .fp32, shape: [-1, 5])])
        #expect(backend.outputs == [
            TensorSpec(name: "probabilities", datatype: .fp32, shape: [-1, 3]),
            TensorSpec(name: "label", datatype: .int64, shape: [-1]),
        ])
    }

    @Test func binaryClassifierAnswersTwoProbabilities() throws {
        let backend = try Self.load("binary_logistic/model.json")
        #expect(backend.outputs.first?.shape == [-1, 2])
    }

    @Test func regressorDeclaresPredictions() throws {
        let backend = try Self.load("count_poisson/model.ubj")
        #expect(backend.outputs == [TensorSpec(name: "predictions", datatype: .fp32, shape: [-1])])
    }

    @Test func declaredOutputsRenameTheDefaultsInOrder() throws {
        let backend = try Self.load(
            "binary_logistic/model.json",
            inputs: [TensorSpec(name: "features", datatype: .fp32, shape: [-1, 5])],
            outputs: [
                TensorSpec(name: "scores", datatype: .fp32, shape: [-1, 2]),
                TensorSpec(name: "class", datatype: .int64, shape: [-1]),
            ])
        #expect(backend.inputs.map(\.name) == ["features"])
        #expect(backend.outputs.map(\.name) == ["scores", "class"])
        let input = try Tensor(name: "features", shape: [1, 5], data: .fp32([0, 1, 2, 3, 4]))
        #expect(try backend.infer([input]).map(\.name) == ["scores", "class"])
    }

    @Test func declaredOutputCountMustMatch() throws {
        let error = #expect(throws: ServingError.self) {
            try Self.load(
                "binary_logistic/model.json",
                outputs: [TensorSpec(name: "probability", datatype: .fp32, shape: [-1, 1])])
        }
        #expect(error?.description.contains("declares 1 outputs, but the model answers 2") == true)
    }

    @Test func declaredOutputTypeMustMatch() {
        #expect(throws: ServingError.self) {
            try Self.load(
                "reg_squarederror/model.json", outputs: [TensorSpec(name: "y", datatype: .int64, shape: [-1])])
        }
    }

    @Test func declaredInputMustHaveTheModelsFeatureCount() throws {
        let error = #expect(throws: ServingError.self) {
            try Self.load(
                "binary_logistic/model.json", inputs: [TensorSpec(name: "input", datatype: .fp32, shape: [-1, 20])])
        }
        #expect(error?.description.contains("the model takes [-1, 5]") == true)
    }

    /// Requests the backend must refuse, and words the refusal must contain.
    static let badInputs: [(tensor: Tensor, reason: String)] = [
        (Tensor(unchecked: "input", shape: [1, 4], data: .fp32([0, 0, 0, 0])), "has 4 features per row; the model takes 5"),
        (Tensor(unchecked: "input", shape: [1, 6], data: .fp32([0, 0, 0, 0, 0, 0])), "has 6 features per row"),
        (Tensor(unchecked: "input", shape: [5], data: .fp32([0, 0, 0, 0, 0])), "expected [rows, 5]"),
        (Tensor(unchecked: "input", shape: [1, 1, 5], data: .fp32([0, 0, 0, 0, 0])), "expected [rows, 5]"),
        (Tensor(unchecked: "input", shape: [1, 5], data: .bytes([[1], [2], [3], [4], [5]])), "is BYTES"),
        (Tensor(unchecked: "input", shape: [2, 5], data: .fp32([0, 0, 0, 0, 0])), "has 5 values for shape [2, 5]"),
        (Tensor(unchecked: "other", shape: [1, 5], data: .fp32([0, 0, 0, 0, 0])), "missing input 'input'"),
    ]

    @Test(arguments: badInputs)
    func badRequestIsInvalidInput(_ tensor: Tensor, _ reason: String) throws {
        let backend = try Self.load("binary_logistic/model.json")
        let error = #expect(throws: ServingError.self) { try backend.infer([tensor]) }
        guard case .invalidInput(let message) = error else {
            Issue.record("expected invalidInput, got \(String(describing: error))")
            return
        }
        #expect(message.contains(reason), "\(message)")
    }

    @Test func integerInputsAreWidened() throws {
        let backend = try Self.load("reg_squarederror/model.json")
        let ints = try Tensor(name: "input", shape: [2, 5], data: .int32([1, 0, -1, 2, 3, 0, 0, 0, 0, 0]))
        let floats = try Tensor(name: "input", shape: [2, 5], data: .fp32([1, 0, -1, 2, 3, 0, 0, 0, 0, 0]))
        #expect(try backend.infer([ints]) == backend.infer([floats]))
    }

    @Test func zeroRowsAnswerEmptyOutputs() throws {
        let backend = try Self.load("multi_softmax/model.json")
        let outputs = try backend.infer([Tensor(name: "input", shape: [0, 5], data: .fp32([]))])
        #expect(outputs.map(\.shape) == [[0, 3], [0]])
    }
}
