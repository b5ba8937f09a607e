package import SluiceCore
import SluiceJSON

extension ModelInferCall {
    /// The protocol-free request of this `ModelInfer` call: its id, its inputs from `contents`
    /// (one typed field per datatype, as Triton reads them) or from `raw_input_contents` (one
    /// entry per input, in input order, in the binary extension's layout: `V2BinaryTensor`),
    /// and its requested outputs. Every fault is `.invalidInput` naming the tensor; the inputs'
    /// names, datatypes and shapes against the model are `DataPlane.prepare`'s to check, as for
    /// REST. Called once per call on the thread that runs its `prepare` step.
    package func inferenceRequest() throws(ServingError) -> InferenceRequest {
        guard rawInputContents.isEmpty || rawInputContents.count == inputs.count else {
            throw .invalidInput(
                "raw_input_contents has \(rawInputContents.count) entries but the request has \(inputs.count) inputs: when raw contents are used, every input must have one")
        }
        var tensors: [Tensor] = []
        tensors.reserveCapacity(inputs.count)
        for index in inputs.indices {
            // Through the array, not a copy of each input (whose copy retains every field);
            // the label is made only for an error.
            let name = inputs[index].name, shape = inputs[index].shape
            func label() -> String { "input '\(name)'" }
            guard let datatype = inputs[index].datatype else {
                throw .invalidInput("\(label()) has unknown datatype '\(inputs[index].datatypeText)'")
            }
            let count: Int
            do throws(ServingError) {
                count = try Shape.elementCount(shape)
            } catch {
                throw .invalidInput("\(label()): \(error)")
            }
            let data: TensorData
            if rawInputContents.isEmpty {
                guard let elements = try inputs[index].contents?.data(datatype, label: label) else {
                    throw .invalidInput("\(label()) has no contents and the request no raw_input_contents")
                }
                data = elements
            } else {
                guard inputs[index].contents == nil else {
                    throw .invalidInput("\(label()) has contents but the request uses raw_input_contents: give every input one or the other")
                }
                data = try raw(rawInputContents[index], datatype: datatype, count: count, shape: shape, label: label)
            }
            guard data.count == count else {
                throw .invalidInput("\(label()) has \(data.count) \(datatype.rawValue) elements but shape \(shape) needs \(count)")
            }
            tensors.append(Tensor(unchecked: name, shape: shape, data: data))
        }
        do throws(JSONError) {
            try V2Body.refuseDuplicates(inputs.lazy.map(\.name), role: "input")
            try V2Body.refuseDuplicates(outputs, role: "output")
        } catch {
            throw .invalidInput(error.description)
        }
        return InferenceRequest(id: id.isEmpty ? nil : id, inputs: tensors, outputs: outputs.map { RequestedOutput(name: $0) })
    }

    /// One input's raw entry (a region of the body), held to exactly the bytes its shape needs,
    /// as the binary REST extension holds `binary_data_size` (BYTES: 4-byte little-endian
    /// lengths, checked while read).
    private func raw(
        _ region: Range<Int>, datatype: DataType, count: Int, shape: [Int], label: () -> String
    ) throws(ServingError) -> TensorData {
        if let size = datatype.elementSize {
            let (needed, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, needed == region.count else {
                throw .invalidInput(
                    "\(label()) has \(region.count) bytes of raw_input_contents but shape \(shape) of \(datatype.rawValue) needs \(overflow ? "more" : "\(needed)")")
            }
        }
        let decoded = body.withUnsafeBytes { bytes in
            Result { () throws(JSONError) -> TensorData in
                try V2BinaryTensor.decode(UnsafeRawBufferPointer(rebasing: bytes[region]), datatype: datatype, count: count)
            }
        }
        do throws(JSONError) {
            return try decoded.get()
        } catch {
            throw .invalidInput("\(label()) raw_input_contents: \(error.description)")
        }
    }
}

extension ModelInferCall.Contents {
    /// The elements in the field Triton reads for `datatype`: `bool_contents`; `int_contents`
    /// for INT8, INT16 and INT32; `uint_contents` for UINT8, UINT16 and UINT32; `int64_contents`,
    /// `uint64_contents`, `fp32_contents`, `fp64_contents`, `bytes_contents`. FP16 has no field
    /// (raw only). A value out of its datatype's range is refused, never wrapped.
    func data(_ datatype: DataType, label: () -> String) throws(ServingError) -> TensorData {
        func narrowed<Wide: BinaryInteger, Narrow: FixedWidthInteger>(_ values: [Wide], _: Narrow.Type) throws(ServingError) -> [Narrow] {
            var out: [Narrow] = []
            out.reserveCapacity(values.count)
            for (i, v) in values.enumerated() {
                guard let n = Narrow(exactly: v) else {
                    throw .invalidInput("\(label()) element \(i) (\(v)) is out of range for \(datatype.rawValue)")
                }
                out.append(n)
            }
            return out
        }
        switch datatype {
        case .bool: return .bool(bool)
        case .int8: return .int8(try narrowed(int, Int8.self))
        case .int16: return .int16(try narrowed(int, Int16.self))
        case .int32: return .int32(int)
        case .int64: return .int64(int64)
        case .uint8: return .uint8(try narrowed(uint, UInt8.self))
        case .uint16: return .uint16(try narrowed(uint, UInt16.self))
        case .uint32: return .uint32(uint)
        case .uint64: return .uint64(uint64)
        case .fp32: return .fp32(fp32)
        case .fp64: return .fp64(fp64)
        case .bytes: return .bytes(bytes)
        case .fp16: throw .invalidInput("\(label()) is FP16, which has no contents field: send it in raw_input_contents")
        }
    }
}
