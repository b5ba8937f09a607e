import Foundation
@testable import SluiceBackends
import SluiceCore
import Testing

/// LSTM, GRU, RNN and Scan beyond the fixtures' 8 rows and their single rows (`ONNXFixtureTests`
/// runs scripts/make_rnn_fixtures.py's cases against onnxruntime's answers): an empty batch,
/// and what a model file or a request may get wrong.
@Suite struct RecurrentTests {
    static let fixtures = [
        "gru_linear_before_reset", "lstm_bidirectional", "lstm_peepholes", "rnn_reverse_relu", "scan_cdist", "scan_cumsum",
    ]

    @Test(arguments: fixtures)
    func anEmptyBatchAnswersEmptyOutputs(_ name: String) throws {
        try ONNXFixtureTests.expectAnEmptyBatchAnswersEmptyOutputs(name)
    }

    /// An LSTM of hidden size 2 over X [seq, batch, 3], W, R and sequence_lens from the request.
    static func lstm(activations: [String]? = nil, limits: ModelLimits = ModelLimits()) throws(ServingError) -> ONNXBackend {
        var node = ONNXGraph.node("LSTM", ["x", "w", "r", "", "lens"], ["y", "y_h"], name: "lstm", int: ["hidden_size": 2])
        if let activations {
            var a = Onnx_AttributeProto()
            a.name = "activations"
            a.type = .strings
            a.strings = activations.map { Data($0.utf8) }
            node.attribute.append(a)
        }
        return try ONNXGraph.backend(
            [node],
            inputs: [
                ONNXGraph.value("x", [nil, nil, 3]), ONNXGraph.value("w", [1, 8, 3]), ONNXGraph.value("r", [1, 8, 2]),
                ONNXGraph.value("lens", [nil], type: 6),
            ],
            outputs: ["y", "y_h"], limits: limits)
    }

    static func request(seq: Int, batch: Int, lengths: [Int32]) -> [Tensor] {
        [
            ONNXHostileShapeTests.floats("x", [seq, batch, 3]), ONNXHostileShapeTests.floats("w", [1, 8, 3]),
            ONNXHostileShapeTests.floats("r", [1, 8, 2]), Tensor(unchecked: "lens", shape: [lengths.count], data: .int32(lengths)),
        ]
    }

    @Test func anActivationOutsideOnnxsListFailsTheLoadNamingIt() throws {
        let error = #expect(throws: ServingError.self) { try Self.lstm(activations: ["Sigmoid", "Gelu", "Tanh"]) }
        guard case .loadFailure(let message) = error else {
            Issue.record("expected loadFailure, got \(String(describing: error))")
            return
        }
        #expect(message.contains("node 'lstm' (LSTM)"), "\(message)")
        #expect(message.contains("activation 'Gelu' is not supported"), "\(message)")
    }

    @Test func activationsOfTheWrongCountOrWithoutTheirAlphaFailTheLoad() throws {
        #expect(throws: ServingError.self) { try Self.lstm(activations: ["Sigmoid", "Tanh"]) }
        let error = #expect(throws: ServingError.self) { try Self.lstm(activations: ["LeakyRelu", "Tanh", "Tanh"]) }
        #expect("\(String(describing: error))".contains("activation LeakyRelu needs a value in activation_alpha"))
    }

    @Test func sequenceLengthsOutsideTheSequenceAreRefused() throws {
        let backend = try Self.lstm()
        ONNXHostileShapeTests.expectRefusal(["LSTM 'lstm'", "sequence length 5 is outside 0…4"]) {
            try backend.infer(Self.request(seq: 4, batch: 2, lengths: [4, 5]))
        }
        ONNXHostileShapeTests.expectRefusal(["LSTM 'lstm'", "sequence length -1"]) {
            try backend.infer(Self.request(seq: 4, batch: 2, lengths: [-1, 2]))
        }
        ONNXHostileShapeTests.expectRefusal(["sequence_lens [3] is not [2]"]) {
            try backend.infer(Self.request(seq: 4, batch: 2, lengths: [1, 2, 3]))
        }
    }

    /// Rows past their length answer 0 in Y; a row of length 0 answers 0 in Y_h too
    /// (onnxruntime's answers); the other rows are unchanged by their neighbours' lengths.
    @Test func rowsPastTheirLengthAnswerZero() throws {
        let backend = try Self.lstm()
        let full = try backend.infer(Self.request(seq: 3, batch: 2, lengths: [3, 3]))
        let short = try backend.infer(Self.request(seq: 3, batch: 2, lengths: [3, 0]))
        guard case .fp32(let yFull) = full[0].data, case .fp32(let y) = short[0].data,
            case .fp32(let hFull) = full[1].data, case .fp32(let h) = short[1].data
        else {
            Issue.record("expected FP32 outputs")
            return
        }
        // Y [3, 1, 2, 2]: batch row 0 is elements 4t..4t+1, row 1 is 4t+2..4t+3.
        for t in 0..<3 {
            #expect(Array(y[4 * t..<4 * t + 2]) == Array(yFull[4 * t..<4 * t + 2]))
            #expect(Array(y[4 * t + 2..<4 * t + 4]) == [0, 0])
        }
        #expect(Array(h[0..<2]) == Array(hFull[0..<2]))
        #expect(Array(h[2..<4]) == [0, 0])
    }

    @Test func gatesBeyondTheTensorLimitAreRefused() throws {
        let backend = try Self.lstm(limits: ONNXGraph.limits(1000))
        ONNXHostileShapeTests.expectRefusal(["LSTM 'lstm'", "limits.max_model_tensor_elements"]) {
            try backend.infer(Self.request(seq: 100, batch: 2, lengths: [100, 100]))
        }
    }
}
