import Foundation
import SluiceCore

/// Cast to and from STRING, as onnxruntime does: integers are written in decimal (floats are
/// refused at load: `CastKernel.make` says why); strings are read as C++'s `stod` / `stoll`
/// read them (leading spaces, a numeric prefix, hex, "nan", "inf"), and a string with no number
/// in front or one beyond the type's range is a request error naming the node.
extension CastKernel {
    static func format(_ x: Operand, _ out: UnsafeMutablePointer<Int64>, _ ws: Workspace) {
        var list: [[UInt8]] = []
        list.reserveCapacity(x.count)
        switch x.type {
        case .int64: for v in x.buffer(Int64.self) { list.append(Array(String(v).utf8)) }
        case .int32: for v in x.buffer(Int32.self) { list.append(Array(String(v).utf8)) }
        case .float, .double, .bool, .string: return  // refused at load; a copy
        }
        let first = ws.intern(list)
        for i in 0..<x.count { out[i] = first + Int64(i) }
    }

    static func parse(
        _ x: Operand, _ to: ElementType, _ out: UnsafeMutableRawPointer, _ ws: Workspace, _ io: NodeIO
    ) throws(ServingError) {
        for (i, index) in x.buffer(Int64.self).enumerated() {
            let bytes = ws.string(index)
            switch to {
            case .float, .double:
                guard let v = number(bytes, strtod) else { throw io.fail("'\(shown(bytes))' is not a number") }
                if to == .float {
                    out.assumingMemoryBound(to: Float.self)[i] = Float(v)
                } else {
                    out.assumingMemoryBound(to: Double.self)[i] = v
                }
            case .int64, .int32:
                guard let v = number(bytes, { strtoll($0, $1, 10) }) else { throw io.fail("'\(shown(bytes))' is not an integer") }
                if to == .int64 {
                    out.assumingMemoryBound(to: Int64.self)[i] = Int64(v)
                } else {
                    guard let narrow = Int32(exactly: v) else { throw io.fail("'\(shown(bytes))' is beyond int32") }
                    out.assumingMemoryBound(to: Int32.self)[i] = narrow
                }
            case .bool, .string: return  // refused at load; a copy
            }
        }
    }

    /// `read` (strtod, strtoll) on a NUL-terminated copy of `bytes`: nil when nothing was read
    /// or the value is out of range (errno ERANGE), as `stod` throws.
    private static func number<T>(
        _ bytes: [UInt8], _ read: (UnsafePointer<CChar>, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> T
    ) -> T? {
        (bytes + [0]).withUnsafeBufferPointer { buffer -> T? in
            buffer.withMemoryRebound(to: CChar.self) { chars -> T? in
                guard let start = chars.baseAddress else { return nil }
                var end: UnsafeMutablePointer<CChar>?
                errno = 0
                let v = read(start, &end)
                guard let end, UnsafePointer(end) != start, errno != ERANGE else { return nil }
                return v
            }
        }
    }

    private static func shown(_ bytes: [UInt8]) -> String { String(decoding: bytes.prefix(64), as: UTF8.self) }
}
