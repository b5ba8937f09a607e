/// How deeply a YAML text nests collections, measured on the text before Yams sees it: Yams
/// composes nodes recursively, so a document nested thousands deep (`[[[[…`, or `- - - …`)
/// overflows the stack and kills the process. `ConfigReader.compose` refuses anything deeper than
/// `limit` first; real configs nest under 10.
///
/// The scan follows libyaml's tokenizer (the one Yams bundles: quotes, plain scalars over several
/// lines, comments, block scalars, Unicode line breaks) closely enough not to count less than
/// libyaml builds (a test compares the two on thousands of random documents): every flow
/// collection (`[`, `{`), a `key: value` pair inside a flow sequence, every block collection
/// libyaml opens at an increasing indentation column (its indent stack), and a sequence hanging
/// under a mapping key at the key's own column. Where the two could differ it counts more. A
/// bracket inside a quoted or plain scalar, a comment or a block scalar is text, which is what
/// lets a description say `"[x]"`. Linear time, no recursion; called by `ConfigReader.compose` on
/// whatever thread reads the file.
struct YAMLNesting {
    /// Deeper than any config Sluice reads, and far below what exhausts a thread's stack.
    static let limit = 64

    /// Whether `yaml` nests collections more than `limit` deep anywhere.
    static func exceeds(_ limit: Int, in yaml: String) -> Bool {
        var text = yaml
        return text.withUTF8 { bytes in
            var scan = YAMLNesting(bytes: bytes, limit: limit)
            return scan.exceedsLimit()
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let limit: Int
    private var i = 0
    private var column = 0
    /// Open flow collections, innermost last: whether each is a sequence, and whether an entry of
    /// that sequence is a `key: value` pair, which libyaml makes a mapping of its own.
    private var flowLevels: [(sequence: Bool, pair: Bool)] = []
    private var flow: Int { flowLevels.count }
    private var pairs = 0
    /// libyaml's indent stack: the column of every open block collection, and whether a sequence
    /// hangs at the same column under that mapping (`key:` then `- item`), which libyaml opens
    /// without an indent of its own.
    private var indents: [(column: Int, indentless: Bool)] = []
    /// Open block collections, counting those indentless sequences.
    private var blockDepth = 0
    /// Where a mapping key on this line began (block context only): a `:` opens a mapping there,
    /// around whatever flow collections the key held.
    private var keyColumn: Int?
    private var keyFlowDepth = 0

    private init(bytes: UnsafeBufferPointer<UInt8>, limit: Int) {
        self.bytes = bytes
        self.limit = limit
    }

    private mutating func exceedsLimit() -> Bool {
        while true {
            skipToToken()
            guard i < bytes.count else { return false }
            if flow == 0 { unroll(column) }
            // Every token consumes a byte; this keeps the scan finite should one ever not.
            let start = i
            defer { if i == start { advance(1) } }
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "-") where column == 0 && isDocumentMarker,
                UInt8(ascii: ".") where column == 0 && isDocumentMarker:
                unroll(-1)
                keyColumn = nil
                advance(3)
            case UInt8(ascii: "%") where column == 0:
                unroll(-1)
                skipLine()
            case UInt8(ascii: "-") where isBlankZ(i + 1):
                if flow == 0 {
                    roll(column, sequence: true)
                    keyColumn = nil
                }
                advance(1)
            case UInt8(ascii: "?") where flow > 0 || isBlankZ(i + 1):
                if flow == 0 {
                    roll(column, sequence: false)
                    keyColumn = nil
                } else {
                    notePair()
                }
                advance(1)
            case UInt8(ascii: ":") where flow > 0 || isBlankZ(i + 1):
                if flow == 0 {
                    // The mapping opens around its key, so the key's flow nesting sits inside it.
                    let keyDepth = keyColumn == nil ? 0 : keyFlowDepth
                    roll(keyColumn ?? column, sequence: false)
                    keyColumn = nil
                    if blockDepth + keyDepth > limit { return true }
                } else {
                    notePair()
                }
                advance(1)
            case UInt8(ascii: ","):
                if let last = flowLevels.last, last.pair {
                    flowLevels[flowLevels.count - 1].pair = false
                    pairs -= 1
                }
                advance(1)
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                noteKey()
                flowLevels.append((c == UInt8(ascii: "["), false))
                advance(1)
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if let last = flowLevels.popLast(), last.pair { pairs -= 1 }
                advance(1)
            case UInt8(ascii: "&"), UInt8(ascii: "*"):
                noteKey()
                advance(1)
                while i < bytes.count, Self.isAnchorCharacter(bytes[i]) { advance(1) }
            case UInt8(ascii: "!"):
                noteKey()
                skipTag()
            case UInt8(ascii: "|") where flow == 0, UInt8(ascii: ">") where flow == 0:
                skipBlockScalar()
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                noteKey()
                skipQuoted(c)
            default:
                noteKey()
                skipPlain()
            }
            if keyColumn != nil { keyFlowDepth = max(keyFlowDepth, flow + pairs) }
            if blockDepth + flow + pairs > limit { return true }
        }
    }

    // MARK: Indentation

    /// A block collection starting at `at`: a new level when it is indented past the current one
    /// (libyaml's `roll_indent`), else a sequence hanging under a mapping's key is one too.
    private mutating func roll(_ at: Int, sequence: Bool) {
        guard let last = indents.last, last.column >= at else {
            indents.append((at, false))
            blockDepth += 1
            return
        }
        if sequence, last.column == at, !last.indentless {
            indents[indents.count - 1].indentless = true
            blockDepth += 1
        }
    }

    private mutating func unroll(_ at: Int) {
        while let last = indents.last, last.column > at {
            blockDepth -= last.indentless ? 2 : 1
            indents.removeLast()
        }
    }

    /// A `key: value` entry of a flow sequence is a mapping one level deeper.
    private mutating func notePair() {
        guard let last = flowLevels.last, last.sequence, !last.pair else { return }
        flowLevels[flowLevels.count - 1].pair = true
        pairs += 1
    }

    private mutating func noteKey() {
        if flow == 0, keyColumn == nil {
            keyColumn = column
            keyFlowDepth = 0
        }
    }

    // MARK: Tokens

    /// Whitespace, comments and line breaks between tokens (libyaml's `scan_to_next_token`).
    private mutating func skipToToken() {
        while i < bytes.count {
            if column == 0, i + 2 < bytes.count, bytes[i] == 0xEF, bytes[i + 1] == 0xBB, bytes[i + 2] == 0xBF {
                advance(3)
            }
            while i < bytes.count, isBlank(i) { advance(1) }
            if i < bytes.count, bytes[i] == UInt8(ascii: "#") { skipLine() }
            guard lineBreak(at: i) > 0 else { return }
            consumeBreak()
        }
    }

    private mutating func skipQuoted(_ quote: UInt8) {
        advance(1)
        while i < bytes.count {
            let c = bytes[i]
            if lineBreak(at: i) > 0 {
                consumeBreak()
            } else if c == quote {
                // '' inside single quotes is an escaped quote, not the end.
                if quote == UInt8(ascii: "'"), i + 1 < bytes.count, bytes[i + 1] == quote {
                    advance(2)
                } else {
                    advance(1)
                    return
                }
            } else if c == UInt8(ascii: "\\"), quote == UInt8(ascii: "\"") {
                advance(1)
                if lineBreak(at: i) > 0 { consumeBreak() } else if i < bytes.count { advance(1) }
            } else {
                advance(1)
            }
        }
    }

    /// A plain scalar, over as many lines as libyaml continues it (libyaml's `scan_plain_scalar`).
    private mutating func skipPlain() {
        while i < bytes.count {
            if column == 0, isDocumentMarker { return }
            if bytes[i] == UInt8(ascii: "#") { return }
            while i < bytes.count, !isBlank(i), lineBreak(at: i) == 0 {
                let c = bytes[i]
                if c == UInt8(ascii: ":"), isBlankZ(i + 1) { return }
                if flow > 0, Self.isFlowIndicator(c) { return }
                advance(1)
            }
            guard i < bytes.count else { return }
            while i < bytes.count {
                if isBlank(i) {
                    advance(1)
                } else if lineBreak(at: i) > 0 {
                    consumeBreak()
                } else {
                    break
                }
            }
            if flow == 0, column < (indents.last?.column ?? -1) + 1 { return }
        }
    }

    /// A literal or folded block scalar: its header, then every line indented past its start
    /// (libyaml's `scan_block_scalar`).
    private mutating func skipBlockScalar() {
        advance(1)
        var explicit = 0
        while i < bytes.count, !isBlank(i), lineBreak(at: i) == 0 {
            let c = bytes[i]
            if c >= UInt8(ascii: "1"), c <= UInt8(ascii: "9") { explicit = Int(c - UInt8(ascii: "0")) }
            advance(1)
        }
        skipLine()
        let base = indents.last?.column ?? -1
        var indent = explicit > 0 ? max(base, 0) + explicit : 0
        var blankIndent = 0
        while i < bytes.count {
            consumeBreak()
            let lineStart = i
            var spaces = 0
            while lineStart + spaces < bytes.count, bytes[lineStart + spaces] == UInt8(ascii: " ") { spaces += 1 }
            let end = lineStart + spaces
            if end >= bytes.count || lineBreak(at: end) > 0 {
                blankIndent = max(blankIndent, spaces)
                advance(spaces)
                continue
            }
            if indent == 0 { indent = max(spaces, blankIndent, base + 1, 1) }
            guard spaces >= indent else { return }
            skipLine()
        }
    }

    private mutating func skipTag() {
        let verbatim = i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "<")
        advance(1)
        while i < bytes.count, !isBlank(i), lineBreak(at: i) == 0 {
            if !verbatim, Self.isFlowIndicator(bytes[i]) { return }
            advance(1)
        }
    }

    // MARK: Characters

    private var isDocumentMarker: Bool {
        guard i + 2 < bytes.count, bytes[i] == bytes[i + 1], bytes[i] == bytes[i + 2],
            bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: ".")
        else { return false }
        return isBlankZ(i + 3)
    }

    private static func isFlowIndicator(_ c: UInt8) -> Bool {
        c == UInt8(ascii: ",") || c == UInt8(ascii: "[") || c == UInt8(ascii: "]")
            || c == UInt8(ascii: "{") || c == UInt8(ascii: "}")
    }

    private static func isAnchorCharacter(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
    }

    private func isBlank(_ at: Int) -> Bool {
        at < bytes.count && (bytes[at] == UInt8(ascii: " ") || bytes[at] == UInt8(ascii: "\t"))
    }

    private func isBlankZ(_ at: Int) -> Bool {
        at >= bytes.count || isBlank(at) || lineBreak(at: at) > 0
    }

    /// The length in bytes of the line break at `at`, 0 if none: CR, LF, CRLF, and the three
    /// Unicode breaks libyaml also honours (NEL, LS, PS), which a comment must not run past.
    private func lineBreak(at: Int) -> Int {
        guard at < bytes.count else { return 0 }
        switch bytes[at] {
        case UInt8(ascii: "\n"): return 1
        case UInt8(ascii: "\r"): return at + 1 < bytes.count && bytes[at + 1] == UInt8(ascii: "\n") ? 2 : 1
        case 0xC2: return at + 1 < bytes.count && bytes[at + 1] == 0x85 ? 2 : 0
        case 0xE2:
            guard at + 2 < bytes.count, bytes[at + 1] == 0x80 else { return 0 }
            return bytes[at + 2] == 0xA8 || bytes[at + 2] == 0xA9 ? 3 : 0
        default: return 0
        }
    }

    /// Moves `count` bytes on within a line; the column counts characters, as libyaml's does.
    private mutating func advance(_ count: Int) {
        for _ in 0..<count where i < bytes.count {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
    }

    /// A line break, wherever it falls (between tokens, in a plain or quoted scalar): a key on the
    /// line before cannot be the key of a `:` on the next, so the key column is forgotten.
    private mutating func consumeBreak() {
        let length = lineBreak(at: i)
        guard length > 0 else { return }
        i += length
        column = 0
        if flow == 0 { keyColumn = nil }
    }

    /// Up to, not past, the next line break.
    private mutating func skipLine() {
        while i < bytes.count, lineBreak(at: i) == 0 { advance(1) }
    }
}
