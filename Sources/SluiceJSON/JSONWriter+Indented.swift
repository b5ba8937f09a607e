extension JSONWriter {
    /// The text written so far laid out for people, as Foundation's `JSONSerialization` lays it
    /// out pretty-printed: one member or element a line, two spaces a level, `"key" : value`.
    /// For files people read and diff (the canary state file), never for response bodies.
    /// Called on the writing thread once the text is complete; the JSON value is unchanged.
    public var indentedBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        var level = 0
        var inString = false
        var escaped = false
        func newline() {
            out.append(0x0A)
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
        }
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            i += 1
            if inString {
                out.append(b)
                if escaped {
                    escaped = false
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\""):
                inString = true
                out.append(b)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                out.append(b)
                // An empty container stays on its line.
                if i < bytes.endIndex, bytes[i] == UInt8(ascii: "}") || bytes[i] == UInt8(ascii: "]") {
                    out.append(bytes[i])
                    i += 1
                } else {
                    level += 1
                    newline()
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                level -= 1
                newline()
                out.append(b)
            case UInt8(ascii: ","):
                out.append(b)
                newline()
            case UInt8(ascii: ":"):
                out.append(contentsOf: [UInt8(ascii: " "), b, UInt8(ascii: " ")])
            default:
                out.append(b)
            }
        }
        return out
    }
}
