import Foundation
import SluiceBackends
import SluiceCore
import Testing

/// models/digits-mlp (scripts/make_onnx_fixtures.py --models) loads and answers sensibly.
@Suite struct BundledONNXModelTests {
    @Test func digitsAnswersALabelAndTenProbabilitiesPerRow() throws {
        let file = BundledModelTests.root.appendingPathComponent("models/digits-mlp/1/model.onnx").path
        let backend = try Backends.standard.load(BackendLoadRequest(file: file, backend: "onnx"))
        #expect(backend.inputs == [TensorSpec(name: "input", datatype: .fp32, shape: [-1, 64])])
        // Two rows of pixel intensities in sklearn's 0...16 range.
        let rows = (0..<128).map { Float(($0 * 7) % 17) }
        let outputs = try backend.infer([Tensor(name: "input", shape: [2, 64], data: .fp32(rows))])
        #expect(outputs.map(\.name) == ["label", "probabilities"])
        guard case .int64(let labels) = outputs[0].data, case .fp32(let p) = outputs[1].data else {
            Issue.record("unexpected output types")
            return
        }
        #expect(outputs[1].shape == [2, 10])
        for row in 0..<2 {
            let probabilities = Array(p[row * 10..<(row + 1) * 10])
            #expect(abs(probabilities.reduce(0, +) - 1) < 1e-5)
            let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] }
            #expect(labels[row] == Int64(best ?? -1))
        }
    }
}
