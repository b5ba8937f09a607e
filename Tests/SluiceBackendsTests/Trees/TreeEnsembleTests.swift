import SluiceBackends
import Testing

/// The shared evaluator on hand-built trees: split rules, missing values, categories, sums.
@Suite struct TreeEnsembleTests {
    /// Root splits feature 0 at 1.0; leaves 10 (left) and 20 (right); missing goes right.
    static func stump(categories: [UInt32]? = nil, defaultLeft: Bool = false, output: Int = 0) -> DecodedTree {
        DecodedTree(
            feature: [0, -1, -1], threshold: [1, 0, 0], left: [1, -1, -1], right: [2, -1, -1],
            defaultLeft: [defaultLeft, false, false], value: [0, 10, 20],
            categories: categories.map { [$0, nil, nil] } ?? [], output: output)
    }

    static func ensemble(
        _ trees: [DecodedTree], outputs: Int = 1, comparison: SplitComparison = .less,
        categoryMatch: CategoryMatch = .goesRight, accumulation: Accumulation = .float
    ) throws -> TreeEnsemble {
        try TreeEnsemble(
            trees: trees, featureCount: 2, outputCount: outputs,
            baseScores: Array(repeating: 0, count: outputs), comparison: comparison,
            categoryMatch: categoryMatch, accumulation: accumulation)
    }

    @Test func lessSendsTiesRightAndLessOrEqualSendsThemLeft() throws {
        let rows: [Float] = [0.5, 0, 1, 0, 1.5, 0]
        #expect(try Self.ensemble([Self.stump()]).margins(rows, rows: 3) == [10, 20, 20])
        #expect(try Self.ensemble([Self.stump()], comparison: .lessOrEqual).margins(rows, rows: 3) == [10, 10, 20])
    }

    @Test func missingValuesFollowTheDefaultDirection() throws {
        #expect(try Self.ensemble([Self.stump(defaultLeft: false)]).margins([.nan, 0], rows: 1) == [20])
        #expect(try Self.ensemble([Self.stump(defaultLeft: true)]).margins([.nan, 0], rows: 1) == [10])
    }

    @Test func categoriesInTheSetGoTheMatchingWay() throws {
        let xgboost = try Self.ensemble([Self.stump(categories: [1, 3, 40])])
        let lightgbm = try Self.ensemble([Self.stump(categories: [1, 3, 40])], categoryMatch: .goesLeft)
        // 3 and 40 (second bitset word) match, 3.7 truncates to 3; 2, -1, 1e9 and 41 do not.
        let values: [Float] = [3, 40, 3.7, 2, -1, 1e9, 41]
        let rows: [Float] = values.flatMap { v -> [Float] in [v, 0] }
        #expect(xgboost.margins(rows, rows: values.count) == [20, 20, 20, 10, 10, 10, 10])
        #expect(lightgbm.margins(rows, rows: values.count) == [10, 10, 10, 20, 20, 20, 20])
        #expect(xgboost.margins([.nan, 0], rows: 1) == [20])
    }

    @Test func zeroAsMissingSendsNearZeroAndNaNTheDefaultWay() throws {
        var tree = Self.stump(defaultLeft: false)
        tree.threshold = [0.5, 0, 0]
        tree.zeroIsMissing = [true, false, false]
        let ensemble = try Self.ensemble([tree], comparison: .lessOrEqual)
        // 0, ±1e-36 and NaN are missing (right); 1e-30 is a value (left, as 1e-30 <= 0.5).
        let values: [Float] = [0, 1e-36, -1e-36, .nan, 1e-30, 0.5, 0.6]
        let rows: [Float] = values.flatMap { v -> [Float] in [v, 0] }
        #expect(ensemble.margins(rows, rows: values.count) == [20, 20, 20, 20, 10, 10, 20])
        // Without the mark, zero is an ordinary value.
        #expect(try Self.ensemble([Self.stump()], comparison: .lessOrEqual).margins([0, 0], rows: 1) == [10])
    }

    @Test func truncatedCategoriesReadMinusAHalfAsZero() throws {
        let stump = Self.stump(categories: [0])
        let rows: [Float] = [-0.5, 0, -1, 0]
        // XGBoost refuses negatives; LightGBM's int cast makes -0.5 category 0, but not -1.
        #expect(try Self.ensemble([stump]).margins(rows, rows: 2) == [10, 10])
        let truncating = try TreeEnsemble(
            trees: [stump], featureCount: 2, outputCount: 1, baseScores: [0], comparison: .lessOrEqual,
            categoryMatch: .goesLeft, accumulation: .double, categoryDomain: .truncatedToInt)
        #expect(truncating.margins(rows, rows: 2) == [10, 20])
    }

    @Test func treesAddToTheirOwnOutputAfterTheBaseScore() throws {
        let ensemble = try TreeEnsemble(
            trees: [Self.stump(output: 1), Self.stump(output: 0), Self.stump(output: 1)], featureCount: 2,
            outputCount: 2, baseScores: [0.5, -1], comparison: .less, categoryMatch: .goesRight,
            accumulation: .float)
        #expect(ensemble.margins([0, 0, 5, 0], rows: 2) == [10.5, 19, 20.5, 39])
    }

    @Test func floatAndDoubleAccumulationRoundAsTheirLibrariesDo() throws {
        var tiny = Self.stump()
        tiny.value = [0, 1e-8, 1e-8]
        let trees = [Self.stump()] + Array(repeating: tiny, count: 1000)
        // In Float each 1e-8 vanishes against 10; in Double they add up before the final rounding.
        #expect(try Self.ensemble(trees, accumulation: .float).margins([0, 0], rows: 1) == [10])
        #expect(try Self.ensemble(trees, accumulation: .double).margins([0, 0], rows: 1) == [Float(10 + 1e-5)])
    }

    @Test func unreachableNodesAreNotTrusted() throws {
        // Node 3 is never reached (a deleted node); its garbage child must not matter.
        let tree = DecodedTree(
            feature: [0, -1, -1, 99], threshold: [1, 0, 0, 0], left: [1, -1, -1, 12345],
            right: [2, -1, -1, Int32.max], defaultLeft: [false, false, false, false], value: [0, 10, 20, 0],
            output: 0)
        #expect(try Self.ensemble([tree]).margins([2, 0], rows: 1) == [20])
    }

    /// Broken trees and the error each must raise.
    static let brokenTrees: [(tree: DecodedTree, error: TreeEnsembleError)] = [
        (DecodedTree(feature: [], threshold: [], left: [], right: [], defaultLeft: [], value: [], output: 0),
         .emptyTree(tree: 0)),
        (DecodedTree(feature: [0, -1, -1], threshold: [1, 0, 0], left: [1, -1, -1], right: [0, -1, -1],
                     defaultLeft: [false, false, false], value: [0, 1, 2], output: 0),
         .notATree(tree: 0, node: 0)),
        (DecodedTree(feature: [0, -1, -1], threshold: [1, 0, 0], left: [1, -1, -1], right: [7, -1, -1],
                     defaultLeft: [false, false, false], value: [0, 1, 2], output: 0),
         .childOutOfRange(tree: 0, node: 0, child: 7)),
        (DecodedTree(feature: [0, -1, -1], threshold: [1, 0, 0], left: [1, -1, -1], right: [-1, -1, -1],
                     defaultLeft: [false, false, false], value: [0, 1, 2], output: 0),
         .halfLeaf(tree: 0, node: 0)),
        (DecodedTree(feature: [2, -1, -1], threshold: [1, 0, 0], left: [1, -1, -1], right: [2, -1, -1],
                     defaultLeft: [false, false, false], value: [0, 1, 2], output: 0),
         .featureOutOfRange(tree: 0, node: 0, feature: 2, features: 2)),
        (DecodedTree(feature: [0, -1, -1], threshold: [1, 0], left: [1, -1, -1], right: [2, -1, -1],
                     defaultLeft: [false, false, false], value: [0, 1, 2], output: 0),
         .arrayLength(tree: 0, field: "thresholds", expected: 3, found: 2)),
        (stump(output: 1), .outputOutOfRange(tree: 0, output: 1, outputs: 1)),
        (stump(categories: [1 << 24]), .categoryOutOfRange(tree: 0, node: 0, category: 1 << 24)),
    ]

    @Test(arguments: brokenTrees)
    func brokenTreeIsRefused(_ tree: DecodedTree, _ error: TreeEnsembleError) {
        #expect(throws: error) { try Self.ensemble([tree]) }
    }

    @Test func baseScoresMustCoverEveryOutput() {
        #expect(throws: TreeEnsembleError.baseScoreCount(expected: 2, found: 1)) {
            try TreeEnsemble(
                trees: [], featureCount: 1, outputCount: 2, baseScores: [0], comparison: .less,
                categoryMatch: .goesRight, accumulation: .float)
        }
    }
}
