/// Appends exposition text to one byte buffer: descriptor lines, samples, escaped strings and
/// numbers as Prometheus parses them.
///
/// Built by `MetricsRegistry.render(format:)`, once per scrape, on the scraping thread; the
/// families and handles write into it in turn. It never allocates per sample beyond the buffer's
/// growth: names and label sets arrive as bytes, numbers are formatted in place.
struct ExpositionWriter {
    let format: ExpositionFormat
    private(set) var bytes: [UInt8] = []

    init(format: ExpositionFormat, capacity: Int) {
        self.format = format
        bytes.reserveCapacity(capacity)
    }

    /// `# HELP` and `# TYPE` for a family. In OpenMetrics a counter family is named without its
    /// `_total` (the samples carry it); Prometheus text names the family as its samples.
    mutating func descriptor(name: FamilyName, help: String, type: MetricType) {
        let familyName = type == .counter && format == .prometheus ? name.sample : name.family
        append("# HELP ")
        bytes.append(contentsOf: familyName)
        bytes.append(UInt8(ascii: " "))
        appendHelp(help)
        bytes.append(UInt8(ascii: "\n"))
        append("# TYPE ")
        bytes.append(contentsOf: familyName)
        bytes.append(UInt8(ascii: " "))
        append(type.keyword)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// `name{labels} ` (or `name ` without labels), ready for the value.
    mutating func sampleStart(name: [UInt8], suffix: String = "", labels: [UInt8]) {
        bytes.append(contentsOf: name)
        append(suffix)
        if !labels.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            bytes.append(contentsOf: labels)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: " "))
    }

    /// `name_bucket{labels,le="bound"} ` with the bound already rendered for this format.
    mutating func bucketStart(name: [UInt8], labels: [UInt8], le: [UInt8]) {
        bytes.append(contentsOf: name)
        append("_bucket{")
        if !labels.isEmpty {
            bytes.append(contentsOf: labels)
            bytes.append(UInt8(ascii: ","))
        }
        append("le=\"")
        bytes.append(contentsOf: le)
        append("\"} ")
    }

    /// An unsigned count and the end of the line.
    mutating func value(_ value: UInt64) {
        Self.appendDecimal(value, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// A floating value and the end of the line.
    mutating func value(_ value: Double) {
        Self.appendNumber(value, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// `# EOF`, which OpenMetrics requires as the last line.
    mutating func end() {
        if format == .openMetrics { append("# EOF\n") }
    }

    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Help text: both formats escape `\` and line feeds; OpenMetrics also escapes `"`.
    private mutating func appendHelp(_ help: String) {
        for byte in help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            case UInt8(ascii: "\"") where format == .openMetrics: append("\\\"")
            default: bytes.append(byte)
            }
        }
    }

    // MARK: - Rendering done once, at handle or family creation

    /// `a="x",b="y"`: a label set as it appears between the braces, values escaped (`\`, `"`,
    /// line feed) the same way in both formats. Empty for no labels.
    static func labels(names: [String], values: [String]) -> [UInt8] {
        var out: [UInt8] = []
        for (i, (name, value)) in zip(names, values).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: "=\"".utf8)
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
                case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
                case UInt8(ascii: "\n"): out.append(contentsOf: "\\n".utf8)
                default: out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        return out
    }

    /// A bucket bound as `le` carries it. OpenMetrics wants its canonical float (`1.0`, not `1`),
    /// which Prometheus 3 also normalises Prometheus-text bounds to; plain text keeps `1`, as
    /// client_golang writes it.
    static func bound(_ bound: Double, format: ExpositionFormat) -> [UInt8] {
        var out: [UInt8] = []
        appendNumber(bound, to: &out)
        if format == .openMetrics, bound.isFinite, !out.contains(where: Self.isFloatMark) {
            out.append(contentsOf: ".0".utf8)
        }
        return out
    }

    private static func isFloatMark(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
    }

    // MARK: - Numbers

    /// Integral values below 2^53 as plain integers (no exponent, no `.0`), so counts read as
    /// counts; `+Inf`, `-Inf`, `NaN` as Prometheus spells them; anything else as Swift's
    /// shortest round-tripping form (`0.25`, `5e-05`), which Go's `ParseFloat` reads exactly.
    static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        if value.isNaN {
            out.append(contentsOf: "NaN".utf8)
        } else if value == .infinity {
            out.append(contentsOf: "+Inf".utf8)
        } else if value == -.infinity {
            out.append(contentsOf: "-Inf".utf8)
        } else if value.rounded(.towardZero) == value, value.magnitude < 0x1p53 {
            if value < 0 { out.append(UInt8(ascii: "-")) }
            appendDecimal(UInt64(value.magnitude), to: &out)
        } else {
            out.append(contentsOf: value.description.utf8)
        }
    }

    /// Decimal digits of `value`, written backwards into a 20-byte stack buffer (the most a
    /// `UInt64` needs) and copied once.
    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var v = value
            var i = 20
            repeat {
                i -= 1
                digits[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            } while v != 0
            out.append(contentsOf: digits[i..<20])
        }
    }
}
