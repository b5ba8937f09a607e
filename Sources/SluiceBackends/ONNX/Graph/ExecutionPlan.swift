import SluiceCore

/// A loaded graph ready to run: the nodes that depend on the request in topological order,
/// every value the graph names numbered 0..<valueCount, the constants, and which workspace
/// buffer each computed value lives in. Built once by `GraphCompiler` on a loader thread;
/// immutable and shared by all requests.
struct ExecutionPlan: Sendable {
    /// One node to run: what it reads and writes, and its compiled kernel.
    struct Step: Sendable {
        let io: NodeIO
        let kernel: any Kernel
    }

    /// A graph input or output: its value id, ONNX name, element type and declared dims
    /// (-1 for a dynamic or unknown dimension; `nil` when the rank is unknown).
    struct Port: Sendable {
        let id: Int
        let name: String
        let type: ElementType
        let dims: [Int]?
        /// The name of the first dimension when the graph gives it a symbol (`dim_param`, e.g.
        /// `batch`); nil for a fixed, unnamed or unknown one (`ONNXBackend.batchesRows`).
        let leadingSymbol: String?
    }

    let valueCount: Int
    let steps: [Step]
    let constants: [(Int, Constant)]
    /// Value id → buffer id, -1 for constants. Values whose lifetimes do not overlap share a buffer.
    let bufferOf: [Int]
    let bufferCount: Int
    let inputs: [Port]
    let outputs: [Port]
    /// The server's limits (`BackendLoadRequest.limits`): every value a workspace holds is
    /// within `limits.maxTensorElements` (`Workspace.write`).
    let limits: ModelLimits
    /// What loading changed about the model (ZipMap served as its probabilities), for
    /// `ONNXBackend.notes`.
    var notes: [String] = []
    /// The bytes of the STRING constants' elements, which their Int64 elements index
    /// (`Workspace.string(_:)`). Empty for a numeric model.
    var strings: [[UInt8]] = []

    /// Where a value that has not been written points: a small zeroed block, never written.
    nonisolated(unsafe) static let emptyBase: UnsafeMutableRawPointer = {
        let p = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
        return p
    }()
}
