import SluiceJSON

extension ModelValue {
    /// Parses one JSON model document filling the whole of `bytes` with the one JSON reader
    /// (strict RFC 8259, bounded nesting, so a hostile file cannot overflow the stack), or
    /// throws with the offset of the fault. Run once per load on a loader thread.
    static func parseJSON(_ bytes: [UInt8]) throws(ModelSyntaxError) -> ModelValue {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONError) -> ModelValue in
                var r = JSONReader(raw)
                let value = try read(&r)
                try r.finish()
                return value
            }
        }
        switch result {
        case .success(let value):
            return value
        case .failure(let error):
            // A fault at the very end is a file cut short: say so, as the UBJSON reader does.
            let offset = error.offset ?? bytes.count
            let reason = offset >= bytes.count ? "unexpected end of file (truncated?)" : error.message
            throw ModelSyntaxError(offset: offset, reason: reason)
        }
    }

    /// One value and all it contains. Recursion is bounded by the reader's `maxDepth`, which
    /// `beginObject`/`beginArray` enforce.
    private static func read(_ r: inout JSONReader) throws(JSONError) -> ModelValue {
        switch r.peek() {
        case UInt8(ascii: "{"):
            var members: [String: ModelValue] = [:]
            try r.beginObject()
            while let key = try r.nextKey() { members[key] = try read(&r) }
            return .object(members)
        case UInt8(ascii: "["):
            var elements: [ModelValue] = []
            try r.beginArray()
            while try r.nextElement() { elements.append(try read(&r)) }
            return .array(elements)
        case UInt8(ascii: "\""):
            return .string(try r.readString())
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return .bool(try r.readBool())
        case UInt8(ascii: "n"):
            _ = try r.skipNull()
            return .null
        default:
            // Integers stay `Int64` (indices, counts); everything else is a correctly rounded
            // `Double`. Anything that is not a number throws here, naming what was found.
            switch try r.readNumber() {
            case .integer(let i): return .integer(i)
            case .double(let d): return .double(d)
            }
        }
    }
}
