import Foundation
import SluiceCore

extension Constant {
    /// An initializer or a tensor attribute as a constant. Throws `reason` strings (the caller
    /// adds which tensor or node) for types this build does not run, external data, dims
    /// beyond `limits`, and element counts that disagree with the dims.
    init(proto t: Onnx_TensorProto, limits: ModelLimits) throws(TensorDecodingError) {
        guard let type = ElementType(onnx: Int(t.dataType)) else {
            throw TensorDecodingError("element type \(ElementType.onnxName(Int(t.dataType))) is not supported")
        }
        guard t.dataLocation != .external, t.externalData.isEmpty else {
            throw TensorDecodingError("external tensor data is not supported; save the model with its weights inside")
        }
        guard !t.hasSegment else { throw TensorDecodingError("segmented tensors are not supported") }
        let shape = t.dims.map { Int($0) }
        guard let count = Shape.count(shape, within: limits.maxTensorElements) else {
            throw TensorDecodingError(shape.contains { $0 < 0 } ? "dims \(shape) are negative" : limits.beyond(shape))
        }
        if type == .string {
            // ONNX strings are bytes (UTF-8 by convention, not checked): kept as they are.
            guard t.rawData.isEmpty, t.stringData.count == count else {
                throw TensorDecodingError("has \(t.stringData.count) strings; dims \(shape) need \(count)")
            }
            self = Constant(strings: t.stringData.map { [UInt8]($0) }, shape: shape)
            return
        }
        if !t.rawData.isEmpty {
            guard t.rawData.count == count * type.size else {
                throw TensorDecodingError("raw data has \(t.rawData.count) bytes; dims \(shape) need \(count * type.size)")
            }
            self = t.rawData.withUnsafeBytes { Constant(type: type, shape: shape, source: $0.baseAddress) }
            return
        }
        func check(_ n: Int) throws(TensorDecodingError) {
            guard n == count else { throw TensorDecodingError("has \(n) values; dims \(shape) need \(count)") }
        }
        switch type {
        case .float:
            try check(t.floatData.count)
            self = Constant(t.floatData, type: type, shape: shape)
        case .double:
            try check(t.doubleData.count)
            self = Constant(t.doubleData, type: type, shape: shape)
        case .int64:
            try check(t.int64Data.count)
            self = Constant(t.int64Data, type: type, shape: shape)
        case .int32:
            try check(t.int32Data.count)
            self = Constant(t.int32Data, type: type, shape: shape)
        case .bool:
            try check(t.int32Data.count)
            self = Constant(t.int32Data.map { UInt8($0 != 0 ? 1 : 0) }, type: type, shape: shape)
        case .string: self = Constant(strings: [], shape: [])  // read above
        }
    }
}

/// Why a tensor could not be read; the loader prefixes which tensor.
struct TensorDecodingError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
