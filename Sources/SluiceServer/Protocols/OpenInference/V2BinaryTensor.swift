import SluiceCore
import SluiceJSON

/// The binary tensor data extension's element layout: little-endian, row-major, no padding;
/// BOOL one byte (0 or 1); BYTES elements each a 4-byte little-endian length and the bytes.
///
/// Used by the V2 decoders (reading the section after the JSON header) and the response encoder
/// (writing it), on the thread that handles the body. Decoding refuses any segment that does
/// not hold exactly the tensor's elements; it never reads outside the segment it is given.
enum V2BinaryTensor {
    /// The elements of one tensor from its segment of the binary section. The caller has checked
    /// that fixed-size types have exactly `count × elementSize` bytes.
    static func decode(
        _ raw: UnsafeRawBufferPointer, datatype: DataType, count: Int
    ) throws(JSONError) -> TensorData {
        switch datatype {
        case .bool:
            var values: [Bool] = []
            values.reserveCapacity(count)
            for b in raw {
                guard b <= 1 else { throw JSONError("BOOL byte \(b) is neither 0 nor 1") }
                values.append(b == 1)
            }
            return .bool(values)
        case .uint8: return .uint8(Array(raw))
        case .uint16: return .uint16(integers(raw, count))
        case .uint32: return .uint32(integers(raw, count))
        case .uint64: return .uint64(integers(raw, count))
        case .int8: return .int8(raw.map { Int8(bitPattern: $0) })
        case .int16: return .int16(integers(raw, count))
        case .int32: return .int32(integers(raw, count))
        case .int64: return .int64(integers(raw, count))
        #if _endian(little)
        // IEEE values in memory are their bit patterns: one copy of the segment.
        case .fp16: return .fp16(copied(raw, count))
        case .fp32: return .fp32(copied(raw, count))
        case .fp64: return .fp64(copied(raw, count))
        #else
        case .fp16: return .fp16(integers(raw, count).map { (bits: UInt16) in Float16(bitPattern: bits) })
        case .fp32: return .fp32(integers(raw, count).map { (bits: UInt32) in Float(bitPattern: bits) })
        case .fp64: return .fp64(integers(raw, count).map { (bits: UInt64) in Double(bitPattern: bits) })
        #endif
        case .bytes: return .bytes(try byteStrings(raw, count))
        }
    }

    /// `count` little-endian integers from unaligned bytes (the body has no alignment).
    private static func integers<T: FixedWidthInteger & BitwiseCopyable>(_ raw: UnsafeRawBufferPointer, _ count: Int) -> [T] {
        #if _endian(little)
        return copied(raw, count)
        #else
        let size = MemoryLayout<T>.size
        let n = min(count, raw.count / size)
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            for i in 0..<n {
                buffer[i] = T(littleEndian: raw.loadUnaligned(fromByteOffset: i * size, as: T.self))
            }
            initialized = n
        }
        #endif
    }

    /// `count` values whose memory layout is the wire's (little-endian host), copied from
    /// unaligned bytes in one `memcpy` instead of element by element.
    private static func copied<T: BitwiseCopyable>(_ raw: UnsafeRawBufferPointer, _ count: Int) -> [T] {
        let n = min(count, raw.count / MemoryLayout<T>.stride)
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            if let to = buffer.baseAddress, let from = raw.baseAddress {
                UnsafeMutableRawPointer(to).copyMemory(from: from, byteCount: n * MemoryLayout<T>.stride)
            }
            initialized = n
        }
    }

    /// Length-prefixed elements that must fill the segment exactly and number `count`.
    private static func byteStrings(_ raw: UnsafeRawBufferPointer, _ count: Int) throws(JSONError) -> [[UInt8]] {
        var values: [[UInt8]] = []
        values.reserveCapacity(min(count, raw.count / 4))
        var at = 0
        while at < raw.count {
            guard raw.count - at >= 4 else {
                throw JSONError("BYTES element \(values.count) has a truncated length prefix")
            }
            let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
            at += 4
            guard length <= raw.count - at else {
                throw JSONError("BYTES element \(values.count) claims \(length) bytes but \(raw.count - at) remain")
            }
            guard values.count < count else { throw JSONError("binary data holds more than \(count) BYTES elements") }
            values.append(Array(UnsafeRawBufferPointer(rebasing: raw[at..<(at + length)])))
            at += length
        }
        guard values.count == count else {
            throw JSONError("binary data holds \(values.count) BYTES elements but the shape needs \(count)")
        }
        return values
    }

    /// The number of bytes `encode` appends for `data`.
    static func byteCount(_ data: TensorData) -> Int {
        if case .bytes(let elements) = data {
            return elements.reduce(0) { $0 + 4 + $1.count }
        }
        return data.count * (data.datatype.elementSize ?? 0)
    }

    /// Appends `data` in the extension's layout: to a REST body (`[UInt8]`) or a gRPC
    /// `raw_output_contents` entry (`Data`), the numbers of a little-endian host in one copy.
    static func encode<Out: RangeReplaceableCollection<UInt8>>(_ data: TensorData, into out: inout Out) {
        switch data {
        case .bool(let a): out.append(contentsOf: a.lazy.map { $0 ? 1 : 0 })
        case .uint8(let a): out.append(contentsOf: a)
        case .uint16(let a): appendLittleEndian(a, to: &out)
        case .uint32(let a): appendLittleEndian(a, to: &out)
        case .uint64(let a): appendLittleEndian(a, to: &out)
        case .int8(let a): out.append(contentsOf: a.lazy.map { UInt8(bitPattern: $0) })
        case .int16(let a): appendLittleEndian(a, to: &out)
        case .int32(let a): appendLittleEndian(a, to: &out)
        case .int64(let a): appendLittleEndian(a, to: &out)
        #if _endian(little)
        case .fp16(let a): a.withUnsafeBytes { out.append(contentsOf: $0) }
        case .fp32(let a): a.withUnsafeBytes { out.append(contentsOf: $0) }
        case .fp64(let a): a.withUnsafeBytes { out.append(contentsOf: $0) }
        #else
        case .fp16(let a): appendLittleEndian(a.map(\.bitPattern), to: &out)
        case .fp32(let a): appendLittleEndian(a.map(\.bitPattern), to: &out)
        case .fp64(let a): appendLittleEndian(a.map(\.bitPattern), to: &out)
        #endif
        case .bytes(let elements):
            for e in elements {
                appendLittleEndian([UInt32(truncatingIfNeeded: e.count)], to: &out)
                out.append(contentsOf: e)
            }
        }
    }

    private static func appendLittleEndian<T: FixedWidthInteger, Out: RangeReplaceableCollection<UInt8>>(
        _ values: [T], to out: inout Out
    ) {
        #if _endian(little)
        values.withUnsafeBytes { out.append(contentsOf: $0) }
        #else
        for v in values { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        #endif
    }
}
