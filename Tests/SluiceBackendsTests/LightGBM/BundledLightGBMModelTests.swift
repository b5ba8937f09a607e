import Foundation
import SluiceBackends
import SluiceCore
import Testing

/// models/churn-lgbm (scripts/make_lightgbm_fixtures.py --models) loads and answers sensibly.
@Suite struct BundledLightGBMModelTests {
    @Test func churnAnswersAProbabilityPairAndALabel() throws {
        let file = BundledModelTests.root.appendingPathComponent("models/churn-lgbm/1/model.txt").path
        let backend = try Backends.standard.load(BackendLoadRequest(file: file, backend: "lightgbm"))
        #expect(backend.inputs == [TensorSpec(name: "input", datatype: .fp32, shape: [-1, 10])])
        let row: [Float] = [0.5, -1, .nan, 2, 0, 0.1, -0.3, 1.2, .nan, -2]
        let outputs = try backend.infer([Tensor(name: "input", shape: [1, 10], data: .fp32(row))])
        #expect(outputs.map(\.name) == ["probabilities", "label"])
        guard case .fp32(let p) = outputs[0].data, case .int64(let label) = outputs[1].data else {
            Issue.record("unexpected output types")
            return
        }
        #expect(p.count == 2 && abs(p[0] + p[1] - 1) < 1e-6)
        #expect(label == [p[1] > p[0] ? 1 : 0])
    }
}
