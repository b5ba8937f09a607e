/// A family's name as the two formats need it: `family` for OpenMetrics descriptors, `sample`
/// for sample lines (and Prometheus-text descriptors). They differ only for counters, whose
/// samples end in `_total`.
struct FamilyName: Sendable {
    let family: [UInt8]
    let sample: [UInt8]

    /// A counter registered as `x_total` or `x` is the family `x` with samples `x_total`.
    static func counter(_ name: String) -> FamilyName {
        let base = name.hasSuffix("_total") ? String(name.dropLast(6)) : name
        return FamilyName(family: Array(base.utf8), sample: Array((base + "_total").utf8))
    }

    static func plain(_ name: String) -> FamilyName {
        FamilyName(family: Array(name.utf8), sample: Array(name.utf8))
    }
}
