import SluiceCore

/// Which values a node reads and writes, as value ids of the plan; -1 for an absent optional
/// input or an unnamed optional output.
struct NodeIO: Sendable {
    let inputs: [Int]
    let outputs: [Int]
    /// "OpType 'name'", for request errors (a Reshape whose target does not fit the input, say).
    let label: String
}

/// One operator, compiled at load for its attributes and input types. `run` is called once
/// per request per node, on the request's thread with the request's own workspace; a kernel is
/// immutable. It throws `.invalidInput` only for what depends on the request's data or shapes
/// (everything that depends on the model was checked when it was built).
protocol Kernel: Sendable {
    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError)
}

/// What a kernel factory returns: the kernel and the element type of each output.
struct Compiled {
    let kernel: any Kernel
    let outputTypes: [ElementType]
    /// How many leading outputs `run` always writes (the rest only when `Workspace.wants`
    /// them): the graph compiler refuses a node that leaves one out or unnamed.
    var requiredOutputs = 1
    /// Per output, the dimensions to declare when the graph's own type is not a tensor (ZipMap's
    /// sequence of maps, served as the tensor that feeds it); nil or absent: the graph's.
    var outputDims: [[Int]?] = []
    /// What the server changed about the node as it loaded it, for the load log and the
    /// model's metadata (`Backend.notes`).
    var note: String?
    /// Strings the kernel's STRING outputs index, entered in the plan's table from
    /// `NodeInfo.firstString` on.
    var strings: [[UInt8]] = []
}

extension NodeIO {
    /// A request error raised inside this node.
    func fail(_ reason: String) -> ServingError {
        .invalidInput("\(label): \(reason)")
    }
}
