import SluiceCore

/// Everything a kernel factory may look at when a model loads: the node, its opset, its
/// attributes and what is known about its inputs (element types, and values of constants).
/// Factories throw through `fail`, which names the op type and node as the load error must.
struct NodeInfo {
    /// The model file's name, which starts every load-failure message.
    let file: String
    let op: String
    let domain: String
    let name: String
    /// The opset version of the node's domain the model imports.
    let opset: Int
    /// The server's limits, for attributes that size what the node computes (a window, a step).
    let limits: ModelLimits
    let attributes: Attributes
    /// Per input: its element type, or nil when the optional input is absent.
    let inputTypes: [ElementType?]
    /// Per input: its value when known at load (initializers, constants, folded nodes).
    let constants: [Constant?]
    let outputCount: Int
    /// The opsets the model imports and how many graph attributes enclose this node (0 in the
    /// model's graph), for compiling the node's own graph attributes (`subgraph(_:)`).
    let opsets: [String: Int]
    let depth: Int
    /// The plan's string-table index that the first of `Compiled.strings` will get, so a
    /// kernel that answers strings from its attributes (LabelEncoder's values) writes
    /// constant indices instead of copying bytes per request.
    let firstString: Int

    /// A load failure naming this node.
    func fail(_ reason: String) -> ServingError {
        .loadFailure("\(file): node '\(name)' (\(op)): \(reason)")
    }

    func has(_ i: Int) -> Bool { i < inputTypes.count && inputTypes[i] != nil }

    /// The element type of input `i`, which must be present.
    func type(_ i: Int) throws(ServingError) -> ElementType {
        guard i < inputTypes.count, let t = inputTypes[i] else { throw fail("input \(i) is required") }
        return t
    }

    /// Input `i` requires one of `allowed`. An FP64 input to an operator that computes only in
    /// FP32 is refused with the fix (the one home of that message).
    func type(_ i: Int, in allowed: [ElementType]) throws(ServingError) -> ElementType {
        let t = try type(i)
        if t == .double, allowed.contains(.float), !allowed.contains(.double) { throw notInFP64() }
        guard allowed.contains(t) else {
            // A double input that the operator would take as float: the converter can write that.
            let fix = t == .double && allowed.contains(.float) ? "; re-export the model with FloatTensorType inputs" : ""
            throw fail("input \(i) has element type \(t), which this operator does not take (it takes \(allowed.map(\.description).joined(separator: ", ")))\(fix)")
        }
        return t
    }

    /// The refusal of an FP64 model by an operator that runs only in FP32.
    func notInFP64() -> ServingError {
        fail("operator \(domain.isEmpty ? "" : domain + ".")\(op) does not run in FP64; re-export with FloatTensorType")
    }

    func requireInputs(_ range: ClosedRange<Int>) throws(ServingError) {
        guard range.contains(inputTypes.count) else {
            throw fail("expected \(range.lowerBound)…\(range.upperBound) inputs, found \(inputTypes.count)")
        }
    }
}
