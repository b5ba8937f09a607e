extension ProtobufReader {
    /// Appends the values of a repeated varint field: one value (unpacked), or a run (packed,
    /// as proto3 writes them); a parser must accept both. False when the field came with
    /// another wire type, which leaves it unknown: the caller skips it.
    mutating func varints<T>(_ wireType: UInt8, into values: inout [T], _ convert: (UInt64) -> T) throws(Failure) -> Bool {
        switch wireType {
        case Self.varint:
            values.append(convert(try varint()))
        case Self.lengthDelimited:
            var packed = try message()
            // As many values as bytes that end one: one allocation for the run.
            var count = 0
            for b in packed.region(packed.at..<packed.end) where b < 0x80 { count += 1 }
            values.reserveCapacity(values.count + count)
            while !packed.isAtEnd { values.append(convert(try packed.varint())) }
        default:
            return false
        }
        return true
    }

    /// Appends the values of a repeated 4- or 8-byte field (`float`, `double`): one value, or a
    /// packed run, which on a little-endian host is the values' memory, copied in one `memcpy`
    /// as `V2BinaryTensor` copies a raw tensor. `fromBits` makes a value of its little-endian
    /// bits. False when the field came with another wire type (unknown then).
    mutating func fixedValues<T: BitwiseCopyable>(
        _ wireType: UInt8, into values: inout [T], fromBits: (UInt64) -> T
    ) throws(Failure) -> Bool {
        let size = MemoryLayout<T>.size
        switch wireType {
        case size == 4 ? Self.fixed32 : Self.fixed64:
            values.append(fromBits(try fixed(size)))
        case Self.lengthDelimited:
            let range = try lengthDelimited()
            guard range.count % size == 0 else { throw .truncated }
            let n = range.count / size
            #if _endian(little)
            let run = [T](unsafeUninitializedCapacity: n) { buffer, initialized in
                if let to = buffer.baseAddress, let from = bytes.baseAddress {
                    UnsafeMutableRawPointer(to).copyMemory(from: from + range.lowerBound, byteCount: range.count)
                }
                initialized = n
            }
            #else
            var packed = ProtobufReader(bytes, range)
            var run: [T] = []
            run.reserveCapacity(n)
            for _ in 0..<n { run.append(fromBits(try packed.fixed(size))) }
            #endif
            if values.isEmpty { values = run } else { values.append(contentsOf: run) }
        default:
            return false
        }
        return true
    }
}
