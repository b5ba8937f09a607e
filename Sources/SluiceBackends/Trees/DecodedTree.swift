/// One decision tree as a format reader decodes it, in the file's own node numbering, before it
/// joins a `TreeEnsemble`. Built once per tree at load time on a loader thread; the ensemble
/// checks it (indices in range, a real tree with no cycles) so readers need not.
///
/// Conventions every reader maps its format onto:
/// - node 0 is the root;
/// - a leaf has `left == -1` and `right == -1`; its contribution is `value`;
/// - an internal node compares `input[feature]` with `threshold` (the ensemble's `SplitComparison`
///   says whether ties go left) or, when `categories` is non-nil, tests membership;
/// - `defaultLeft` says where a missing value (NaN) goes;
/// - `zeroIsMissing` marks numeric splits that also treat zero as missing (LightGBM's
///   `MissingType::Zero`). Readers of formats that turn NaN into a value instead (LightGBM's
///   `MissingType::None`) store where that value goes as `defaultLeft`.
package struct DecodedTree: Sendable {
    /// The input column each internal node tests (ignored on leaves).
    package var feature: [Int32]
    /// The split value of each internal node (ignored on leaves and categorical splits).
    package var threshold: [Float]
    /// Child indices in this tree's numbering, -1 on leaves.
    package var left: [Int32]
    /// (as `left`)
    package var right: [Int32]
    /// Where a missing value (NaN) goes at each internal node.
    package var defaultLeft: [Bool]
    /// The leaf values; ignored on internal nodes.
    package var value: [Float]
    /// For a categorical split, the categories that count as a match; `nil` for numeric splits
    /// (and on leaves). Empty, or shorter than the node count, means no categorical splits.
    package var categories: [[UInt32]?]
    /// Numeric splits where a value within 1e-35 of zero counts as missing and follows
    /// `defaultLeft`. Empty, or shorter than the node count, means no such splits.
    package var zeroIsMissing: [Bool]
    /// Which output (class or target) this tree's leaves add to.
    package var output: Int

    /// Readers call this with parallel arrays; the ensemble validates their lengths.
    package init(
        feature: [Int32], threshold: [Float], left: [Int32], right: [Int32], defaultLeft: [Bool],
        value: [Float], categories: [[UInt32]?] = [], zeroIsMissing: [Bool] = [], output: Int
    ) {
        self.feature = feature
        self.threshold = threshold
        self.left = left
        self.right = right
        self.defaultLeft = defaultLeft
        self.value = value
        self.categories = categories
        self.zeroIsMissing = zeroIsMissing
        self.output = output
    }

    /// The node count, as the child arrays give it; the ensemble checks the others agree.
    package var nodeCount: Int { left.count }
}

/// How a numeric split compares: XGBoost goes left when `x < threshold`, LightGBM (and ONNX's
/// BRANCH_LEQ) when `x <= threshold`. ONNX's GT/GTE modes map onto these by swapping children.
package enum SplitComparison: Sendable {
    case less, lessOrEqual
}

/// Which way a categorical split sends a category in its set: XGBoost sends a match right (its
/// one-hot convention), LightGBM left. Everything else (an unseen, negative or too large
/// category) goes the other way; a missing value follows `defaultLeft`.
package enum CategoryMatch: Sendable {
    case goesLeft, goesRight
}

/// Which inputs name a category at all. XGBoost refuses any negative value (no match); LightGBM
/// casts with C's `static_cast<int>`, which truncates toward zero, so a value in (-1, 0) is
/// category 0 and only values at or below -1 are no match.
package enum CategoryDomain: Sendable {
    case nonNegative, truncatedToInt
}

/// The precision leaf values are summed in, to match the training library bit for bit:
/// XGBoost sums in `Float`, LightGBM in `Double`.
package enum Accumulation: Sendable {
    case float, double
}
