/// Which of a model's versions should be loaded: `version_policy:` of `model.yaml`.
///
/// Pure and stateless, after TF Serving's `ServableVersionPolicy`: given the complete set of
/// version numbers the repository holds, it names the aspired ones. The model manager calls it
/// once per model per scan; it cannot fail.
package enum VersionPolicy: Sendable, Equatable {
    /// `{latest: N}`: the N highest versions (all of them when fewer exist). N is positive.
    case latest(Int)
    /// `{all: true}`: every version.
    case all
    /// `{specific: [1, 3]}`: exactly these, those of them that exist.
    case specific([Int])

    /// `{latest: 1}`, what a model without `version_policy:` gets.
    package static let `default` = VersionPolicy.latest(1)

    /// The aspired versions among `available`, ascending and without duplicates. `available` may
    /// come in any order (directory listings are unordered).
    package func aspiredVersions(from available: [Int]) -> [Int] {
        let present = Set(available).sorted()
        switch self {
        case .latest(let count):
            return Array(present.suffix(max(count, 0)))
        case .all:
            return present
        case .specific(let wanted):
            let wantedSet = Set(wanted)
            return present.filter { wantedSet.contains($0) }
        }
    }
}
