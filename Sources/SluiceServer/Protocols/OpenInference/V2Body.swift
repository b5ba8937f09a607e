import SluiceCore
import SluiceJSON

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

    /// The tensor objects of a body, in order, as they are read: one with JSON `data` becomes
    /// its tensor at once, so the usual all-JSON body keeps no list of objects beside its
    /// tensors; one whose data follows in the binary section holds its place until
    /// `readBinarySection` fills it in.
    struct Tensors {
        /// In body order; the binary ones hold an empty placeholder until their data is read.
        private(set) var tensors: [Tensor] = []
        /// The objects whose data is in the binary section, with their places in `tensors`.
        private var binary: [(index: Int, object: V2TensorObject)] = []

        var count: Int { tensors.count }

        mutating func append(_ object: V2TensorObject) {
            if object.binaryDataSize == nil, let tensor = object.tensor() {
                tensors.append(tensor)
            } else {
                binary.append((tensors.count, object))
                tensors.append(Tensor(unchecked: object.name, shape: object.shape, data: .bool([])))
            }
        }

        /// Completes the binary tensors from `body[start...]`, in order, checks that the section
        /// is used up exactly, and returns every tensor.
        consuming func readBinarySection(
            _ body: UnsafeRawBufferPointer, from start: Int, hasHeader: Bool
        ) throws(JSONError) -> [Tensor] {
            var at = start
            for (index, var object) in binary {
                guard let size = object.binaryDataSize else { throw JSONError("\(object.label) has no data") }
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
                guard let tensor = object.tensor() else { throw JSONError("\(object.label) has no data") }
                tensors[index] = tensor
            }
            guard at == body.count else {
                throw JSONError("\(body.count - at) bytes of binary data follow the last binary tensor")
            }
            return tensors
        }
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
