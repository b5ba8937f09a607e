/// Why a set of decoded trees cannot form an ensemble. Thrown by `TreeEnsemble.init` on a loader
/// thread; format readers turn it into `ServingError.loadFailure` with the file name, since only
/// they know it.
package enum TreeEnsembleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The ensemble has no outputs or a non-positive feature count.
    case emptySignature(outputs: Int, features: Int)
    /// A base score per output was expected.
    case baseScoreCount(expected: Int, found: Int)
    case emptyTree(tree: Int)
    /// The per-node arrays of a tree disagree in length.
    case arrayLength(tree: Int, field: String, expected: Int, found: Int)
    case outputOutOfRange(tree: Int, output: Int, outputs: Int)
    case childOutOfRange(tree: Int, node: Int, child: Int32)
    /// Exactly one child is -1: neither a leaf nor a split.
    case halfLeaf(tree: Int, node: Int)
    case featureOutOfRange(tree: Int, node: Int, feature: Int32, features: Int)
    /// A node is reachable twice from the root: a cycle or a shared subtree, which would make
    /// evaluation loop or double count.
    case notATree(tree: Int, node: Int)
    /// More nodes than 32-bit node indices can address.
    case tooManyNodes
    /// A category list holds a value beyond what a Float input can name exactly (2^24).
    case categoryOutOfRange(tree: Int, node: Int, category: UInt32)

    /// The reason, worded for a load failure message after the file name.
    package var description: String {
        switch self {
        case .emptySignature(let outputs, let features):
            "the ensemble needs at least one output and one feature (found \(outputs) outputs, \(features) features)"
        case .baseScoreCount(let expected, let found):
            "expected \(expected) base scores (one per output), found \(found)"
        case .emptyTree(let tree):
            "tree \(tree) has no nodes"
        case .arrayLength(let tree, let field, let expected, let found):
            "tree \(tree): \(field) has \(found) entries, expected \(expected) (one per node)"
        case .outputOutOfRange(let tree, let output, let outputs):
            "tree \(tree) adds to output \(output), but the model has \(outputs) outputs"
        case .childOutOfRange(let tree, let node, let child):
            "tree \(tree) node \(node): child index \(child) is out of range"
        case .halfLeaf(let tree, let node):
            "tree \(tree) node \(node): one child is missing (-1) and the other is not"
        case .featureOutOfRange(let tree, let node, let feature, let features):
            "tree \(tree) node \(node): feature index \(feature) is out of range (the model has \(features) features)"
        case .notATree(let tree, let node):
            "tree \(tree) node \(node) is reachable twice from the root (a cycle or shared subtree)"
        case .tooManyNodes:
            "the ensemble has more than 2^31 nodes"
        case .categoryOutOfRange(let tree, let node, let category):
            "tree \(tree) node \(node): category \(category) is too large (limit 2^24)"
        }
    }
}
