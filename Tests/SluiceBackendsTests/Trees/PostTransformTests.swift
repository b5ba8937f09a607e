import SluiceBackends
import Testing

@Suite struct PostTransformTests {
    @Test func sigmoidMapsMarginsToProbabilities() {
        var values: [Float] = [0, 100, -100]
        PostTransform.sigmoid.apply(to: &values, width: 1)
        #expect(values[0] == 0.5)
        #expect(values[1] == 1)
        // XGBoost clamps the exponent at 88.7, so the smallest answer is about 3e-39, not 0.
        #expect(values[2] > 0 && values[2] < 1e-38)
    }

    @Test func softmaxNormalisesEachRow() {
        var values: [Float] = [1, 1, 1, 0, 1000, 0]
        PostTransform.softmax.apply(to: &values, width: 3)
        #expect(values[0..<3].allSatisfy { abs($0 - 1.0 / 3) < 1e-7 })
        #expect(Array(values[3...]) == [0, 1, 0])
    }

    @Test func expAndNoneDoWhatTheySay() {
        var values: [Float] = [0, 1]
        PostTransform.exp.apply(to: &values, width: 1)
        #expect(values == [1, Float(2.7182817)])
        PostTransform.none.apply(to: &values, width: 1)
        #expect(values == [1, Float(2.7182817)])
    }

    @Test func argmaxTakesTheFirstOfEqualScores() {
        #expect(Argmax.rows([1, 3, 3, 5, 0, 0], width: 3) == [1, 0])
        #expect(Argmax.rows([], width: 3) == [])
    }
}
