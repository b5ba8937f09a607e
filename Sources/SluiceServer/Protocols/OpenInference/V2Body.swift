import SluiceCore

/// The parts of a V2 body that requests and responses share: where the JSON ends and how the
/// binary section after it is shared out among the tensors that declared a `binary_data_size`.
/// Internal to the V2 decoders.
enum V2Body {
    /// The end of the JSON part, checked against the body.
    static func jsonEnd(_ body: UnsafeRawBufferPointer, jsonLength: Int?) throws(JSONError) -> Int {
        guard let jsonLength else { return body.count }
        guard jsonLength >= 0 else { throw JSONError("\(V2BinaryHeader.name) \(jsonLength) is negative") }
        guard jsonLength <= body.count else {
            throw JSONError("\(V2BinaryHeader.name) \(jsonLength) is larger than the body (\(body.count) bytes)")
        }
        return jsonLength
    }

    /// Completes `objects` from the binary section `body[start...]`, in order, and checks that
    /// the section is used up exactly.
    static func readBinarySection(
        _ body: UnsafeRawBufferPointer, from start: Int, into objects: [V2TensorObject], hasHeader: Bool
    ) throws(JSONError) -> [Tensor] {
        var at = start
        var tensors: [Tensor] = []
        tensors.reserveCapacity(objects.count)
        for var object in objects {
            if let size = object.binaryDataSize {
                guard hasHeader else {
                    throw JSONError("\(object.label) has binary_data_size but the body has no \(V2BinaryHeader.name)")
                }
                guard size <= body.count - at else {
                    throw JSONError(
                        "\(object.label) has binary_data_size \(size) but only \(body.count - at) bytes of binary data remain")
                }
                let segment = UnsafeRawBufferPointer(rebasing: body[at..<(at + size)])
                do throws(JSONError) {
                    object.data = try V2BinaryTensor.decode(segment, datatype: object.datatype, count: object.count)
                } catch {
                    throw error.prefixed(object.label)
                }
                at += size
            }
            guard let tensor = object.tensor() else { throw JSONError("\(object.label) has no data") }
            tensors.append(tensor)
        }
        guard at == body.count else {
            throw JSONError("\(body.count - at) bytes of binary data follow the last binary tensor")
        }
        return tensors
    }

    /// Throws for the first name that repeats an earlier one. Requests name a handful of
    /// tensors, so a scan of the earlier names beats building a `Set` per request.
    static func refuseDuplicates<C: Collection<String>>(_ names: C, role: String) throws(JSONError) {
        guard names.count > 1 else { return }
        if names.count <= 16 {
            var i = names.startIndex
            while i != names.endIndex {
                let name = names[i]
                if names[names.startIndex..<i].contains(name) {
                    throw JSONError("\(role) '\(name)' appears more than once")
                }
                names.formIndex(after: &i)
            }
            return
        }
        var seen: Set<String> = []
        for name in names where !seen.insert(name).inserted {
            throw JSONError("\(role) '\(name)' appears more than once")
        }
    }
}
