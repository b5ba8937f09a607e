import COpenBLAS
import Foundation
package import SluiceCore
import SwiftProtobuf

/// An ONNX model (`model.onnx`) run natively: the default (ai.onnx) and ai.onnx.ml domains,
/// FP32 compute, matrix products through OpenBLAS on the calling thread.
///
/// Created by `load(_:)` on a loader thread; afterwards `infer` runs on many threads at once,
/// each request in its own workspace from a pool (buffers reused across requests). The
/// signature is the graph's: its inputs and outputs, element types and shapes (dynamic
/// dimensions as -1), renamed in order by `model.yaml` when it declares them.
package struct ONNXBackend: Backend {
    /// Always `onnx`, reported as the model's platform in metadata.
    package var platform: String { "onnx" }

    /// How `Backends.standard` knows this backend: `backend: onnx`, and the files it loads.
    package static let factory = BackendFactory(name: "onnx", fileNames: ["model.onnx"]) { request throws(ServingError) in
        try load(request)
    }
    package let inputs: [TensorSpec]
    package let outputs: [TensorSpec]
    /// Whether every graph input and output has a dynamic first dimension and those that name
    /// it (`dim_param`, such as `batch`) all use one symbol: the batch. An output whose first
    /// dimension is fixed, of unknown rank or another symbol (a `NonZero`'s count, a `Transpose`
    /// that moves the batch) is not one row per input row, so a batched version is refused.
    /// Unnamed dynamic dimensions count as the batch: skl2onnx exports every model that way.
    /// Read from the graph, not from `outputs`: `model.yaml` may declare -1 for any dimension.
    package let batchesRows: Bool
    let plan: ExecutionPlan
    /// The graph compiler's notes (a ZipMap served as the probabilities that feed it).
    package var notes: [String] { plan.notes }
    let pool = WorkspacePool()

    /// OpenBLAS would start a thread per core on its first call; requests already run in
    /// parallel, so each product runs on its caller's thread. Set once, before any model runs.
    private static let singleThreaded: Void = { openblas_set_num_threads(1) }()

    /// Reads, checks and compiles the model file named by `request`. Called by `Backends.standard`
    /// on a loader thread; throws `ServingError.loadFailure("<file>: <what and why>")` for an
    /// unreadable or malformed file, an unsupported IR version, opset, domain, operator,
    /// attribute or element type (naming the node), a tensor or window beyond `request.limits`,
    /// or a `model.yaml` signature that does not fit the graph. Never traps on file contents.
    package static func load(_ request: BackendLoadRequest) throws(ServingError) -> ONNXBackend {
        let (name, model) = try parse(request.file)
        return try ONNXBackend(
            plan: GraphCompiler.compile(model, file: name, limits: request.limits), request: request, fileName: name)
    }

    /// The model file's name and parsed graph (`load`'s first half; tests edit the graph).
    static func parse(_ file: String) throws(ServingError) -> (name: String, model: Onnx_ModelProto) {
        let (name, bytes) = try ModelFile.read(file)
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            return (name, try Onnx_ModelProto(serializedBytes: bytes, options: options))
        } catch {
            throw .loadFailure("\(name): not a valid ONNX model (\(error))")
        }
    }

    init(plan: ExecutionPlan, request: BackendLoadRequest, fileName: String) throws(ServingError) {
        _ = Self.singleThreaded
        self.plan = plan
        let graphInputs = plan.inputs.map {
            TensorSpec(name: $0.name, datatype: $0.type.wire, shape: $0.dims ?? [-1])
        }
        let graphOutputs = plan.outputs.map {
            TensorSpec(name: $0.name, datatype: $0.type.wire, shape: $0.dims ?? [-1])
        }
        inputs = try Self.rename(graphInputs, by: request.inputs, what: "inputs", fileName: fileName)
        outputs = try Self.rename(graphOutputs, by: request.outputs, what: "outputs", fileName: fileName)
        let ports = plan.inputs + plan.outputs
        batchesRows = ports.allSatisfy { $0.dims?.first == -1 } && Set(ports.compactMap(\.leadingSymbol)).count <= 1
    }

    /// `model.yaml` may rename the graph's inputs or outputs, in order; it must list all of
    /// them, with the graph's element types and shapes that fit.
    static func rename(
        _ graph: [TensorSpec], by declared: [TensorSpec], what: String, fileName: String
    ) throws(ServingError) -> [TensorSpec] {
        guard !declared.isEmpty else { return graph }
        guard declared.count == graph.count else {
            throw .loadFailure(
                "\(fileName): model.yaml declares \(declared.count) \(what), but the graph has \(graph.count) (\(graph.map(\.name).joined(separator: ", ")))")
        }
        var result: [TensorSpec] = []
        for (spec, ours) in zip(declared, graph) {
            let fits = spec.shape.count == ours.shape.count
                && zip(spec.shape, ours.shape).allSatisfy { $0 < 0 || $1 < 0 || $0 == $1 }
            guard spec.datatype == ours.datatype || (spec.datatype.isFloatingPoint && ours.datatype == .fp32),
                fits || ours.shape == [-1]
            else {
                throw .loadFailure(
                    "\(fileName): '\(spec.name)' is declared \(spec.datatype.rawValue) \(spec.shape), but the graph's '\(ours.name)' is \(ours.datatype.rawValue) \(ours.shape)")
            }
            result.append(TensorSpec(name: spec.name, datatype: ours.datatype, shape: fits ? spec.shape : ours.shape))
        }
        return result
    }
}
