/// The one synthetic request a version must answer before it is marked ready (`warmup: true`):
/// it catches a model that loads but cannot run (a signature that does not fit the file, a
/// backend that fails on first use) before a client does, and pays first-call costs up front.
///
/// Called by the model manager on a loader thread, once per version load, and by the model
/// fuzzers (`SluiceFuzz`), which load a file as the manager does.
package enum Warmup {
    /// A declared shape with more elements than this is treated as a broken signature rather
    /// than allocated: no real request could fill it either.
    static let maxElements = 1 << 24

    /// Zeros for every declared input, batch 1: each -1 dimension becomes 1.
    static func makeInputs(for specs: [TensorSpec]) throws(ServingError) -> [Tensor] {
        var tensors: [Tensor] = []
        for spec in specs {
            let shape = spec.shape.map { $0 < 0 ? 1 : $0 }
            let count = try Shape.elementCount(shape)
            guard count <= maxElements else {
                throw .invalidInput("input '\(spec.name)' has shape \(spec.shape): more than \(maxElements) elements")
            }
            tensors.append(Tensor(unchecked: spec.name, shape: shape, data: zeros(spec.datatype, count: count)))
        }
        return tensors
    }

    /// Runs the warm-up request. A backend that declares no inputs is not warmed up: there is
    /// nothing to synthesize, and its first real request will tell.
    /// Throws what the backend's `infer` throws (the manager makes it the load failure).
    package static func run(_ backend: any Backend) throws(ServingError) {
        guard !backend.inputs.isEmpty else { return }
        _ = try backend.infer(makeInputs(for: backend.inputs))
    }

    static func zeros(_ datatype: DataType, count: Int) -> TensorData {
        switch datatype {
        case .bool: .bool(Array(repeating: false, count: count))
        case .uint8: .uint8(Array(repeating: 0, count: count))
        case .uint16: .uint16(Array(repeating: 0, count: count))
        case .uint32: .uint32(Array(repeating: 0, count: count))
        case .uint64: .uint64(Array(repeating: 0, count: count))
        case .int8: .int8(Array(repeating: 0, count: count))
        case .int16: .int16(Array(repeating: 0, count: count))
        case .int32: .int32(Array(repeating: 0, count: count))
        case .int64: .int64(Array(repeating: 0, count: count))
        case .fp16: .fp16(Array(repeating: 0, count: count))
        case .fp32: .fp32(Array(repeating: 0, count: count))
        case .fp64: .fp64(Array(repeating: 0, count: count))
        case .bytes: .bytes(Array(repeating: [], count: count))
        }
    }
}
