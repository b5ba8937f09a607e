import Testing
@testable import SluiceCore

@Test(arguments: [
    (VersionPolicy.latest(1), [1, 2, 3], [3]),
    (.latest(2), [3, 1, 2], [2, 3]),
    (.latest(5), [1, 2], [1, 2]),
    (.latest(1), [], []),
    (.all, [4, 1, 9], [1, 4, 9]),
    (.specific([1, 3]), [1, 2, 3], [1, 3]),
    (.specific([1, 7]), [1, 2, 3], [1]),
    (.specific([3, 3]), [3], [3]),
    (.all, [2, 2], [2]),
])
func policyAspiresToTheVersionsItNames(policy: VersionPolicy, available: [Int], aspired: [Int]) {
    #expect(policy.aspiredVersions(from: available) == aspired)
}

@Test func defaultPolicyIsTheLatestVersion() {
    #expect(VersionPolicy.default == .latest(1))
    #expect(ModelConfig().versionPolicy == .latest(1))
}
