import Foundation
import SluiceCore
import SluiceJSON
@testable import SluiceServer

// The oracle of `ModelInferRequestDecoder`: how the server turned swift-protobuf's decoded
// `ModelInferRequest` into an `InferenceRequest` before it read the wire format itself, kept
// here as the server had it. The property tests hold the decoder to it on random messages.

extension Inference_ModelInferRequest {
    /// The protocol-free request of this `ModelInfer` call: its id, its inputs from `contents`
    /// (one typed field per datatype, as Triton reads them) or from `raw_input_contents` (one
    /// entry per input, in input order, in the binary extension's layout: `V2BinaryTensor`),
    /// and its requested outputs. Every fault is `.invalidInput` naming the tensor; the inputs'
    /// names, datatypes and shapes against the model are `DataPlane.prepare`'s to check, as for
    /// REST. Called once per call on the thread that runs its `prepare` step.
    func oracleRequest() throws(ServingError) -> InferenceRequest {
        guard rawInputContents.isEmpty || rawInputContents.count == inputs.count else {
            throw .invalidInput(
                "raw_input_contents has \(rawInputContents.count) entries but the request has \(inputs.count) inputs: when raw contents are used, every input must have one")
        }
        var tensors: [Tensor] = []
        tensors.reserveCapacity(inputs.count)
        for (index, input) in inputs.enumerated() {
            let label = "input '\(input.name)'"
            guard let datatype = DataType(rawValue: input.datatype) else {
                throw .invalidInput("\(label) has unknown datatype '\(input.datatype)'")
            }
            let shape = input.shape.map { Int(truncatingIfNeeded: $0) }
            let count: Int
            do throws(ServingError) {
                count = try Shape.elementCount(shape)
            } catch {
                throw .invalidInput("\(label): \(error)")
            }
            let data: TensorData
            if rawInputContents.isEmpty {
                guard input.hasContents else { throw .invalidInput("\(label) has no contents and the request no raw_input_contents") }
                data = try input.contents.oracleData(datatype, label: label)
            } else {
                guard !input.hasContents else {
                    throw .invalidInput("\(label) has contents but the request uses raw_input_contents: give every input one or the other")
                }
                data = try Self.raw(rawInputContents[index], datatype: datatype, count: count, shape: shape, label: label)
            }
            guard data.count == count else {
                throw .invalidInput("\(label) has \(data.count) \(datatype.rawValue) elements but shape \(shape) needs \(count)")
            }
            tensors.append(Tensor(unchecked: input.name, shape: shape, data: data))
        }
        do throws(JSONError) {
            try V2Body.refuseDuplicates(inputs.lazy.map(\.name), role: "input")
            try V2Body.refuseDuplicates(outputs.lazy.map(\.name), role: "output")
        } catch {
            throw .invalidInput(error.description)
        }
        return InferenceRequest(
            id: id.isEmpty ? nil : id, inputs: tensors, outputs: outputs.map { RequestedOutput(name: $0.name) })
    }

    /// One input's raw entry, held to exactly the bytes its shape needs, as the binary REST
    /// extension holds `binary_data_size` (BYTES: 4-byte little-endian lengths, checked while read).
    private static func raw(
        _ bytes: Data, datatype: DataType, count: Int, shape: [Int], label: String
    ) throws(ServingError) -> TensorData {
        if let size = datatype.elementSize {
            let (needed, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, needed == bytes.count else {
                throw .invalidInput(
                    "\(label) has \(bytes.count) bytes of raw_input_contents but shape \(shape) of \(datatype.rawValue) needs \(overflow ? "more" : "\(needed)")")
            }
        }
        let decoded = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONError) -> TensorData in try V2BinaryTensor.decode(raw, datatype: datatype, count: count) }
        }
        do throws(JSONError) {
            return try decoded.get()
        } catch {
            throw .invalidInput("\(label) raw_input_contents: \(error.description)")
        }
    }
}

extension Inference_InferTensorContents {
    /// The elements in the field Triton reads for `datatype`: `bool_contents`; `int_contents`
    /// for INT8, INT16 and INT32; `uint_contents` for UINT8, UINT16 and UINT32; `int64_contents`,
    /// `uint64_contents`, `fp32_contents`, `fp64_contents`, `bytes_contents`. FP16 has no field
    /// (raw only). A value out of its datatype's range is refused, never wrapped.
    func oracleData(_ datatype: DataType, label: String) throws(ServingError) -> TensorData {
        func narrowed<Wide: BinaryInteger, Narrow: FixedWidthInteger>(_ values: [Wide], _ : Narrow.Type) throws(ServingError) -> [Narrow] {
            var out: [Narrow] = []
            out.reserveCapacity(values.count)
            for (i, v) in values.enumerated() {
                guard let n = Narrow(exactly: v) else {
                    throw .invalidInput("\(label) element \(i) (\(v)) is out of range for \(datatype.rawValue)")
                }
                out.append(n)
            }
            return out
        }
        switch datatype {
        case .bool: return .bool(boolContents)
        case .int8: return .int8(try narrowed(intContents, Int8.self))
        case .int16: return .int16(try narrowed(intContents, Int16.self))
        case .int32: return .int32(intContents)
        case .int64: return .int64(int64Contents)
        case .uint8: return .uint8(try narrowed(uintContents, UInt8.self))
        case .uint16: return .uint16(try narrowed(uintContents, UInt16.self))
        case .uint32: return .uint32(uintContents)
        case .uint64: return .uint64(uint64Contents)
        case .fp32: return .fp32(fp32Contents)
        case .fp64: return .fp64(fp64Contents)
        case .bytes: return .bytes(bytesContents.map { Array($0) })
        case .fp16: throw .invalidInput("\(label) is FP16, which has no contents field: send it in raw_input_contents")
        }
    }
}
