import Testing
@testable import SluiceCore

/// `Array(tensorCapacity:initializingWith:)` is `init(unsafeUninitializedCapacity:...)` with huge
/// pages advised for large storage: the elements are what the initializer wrote, below and
/// above the size that gets the advice, and an initializer that writes nothing leaves none.
@Suite struct TensorStorageTests {
    @Test(arguments: [0, 1, 1000, [Float].hugePageBytes / 4, [Float].hugePageBytes / 4 + 12_345])
    func theArrayHoldsWhatItsInitializerWrote(count: Int) {
        let values = [Float](tensorCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = Float(i % 1021) }
            initialized = count
        }
        #expect(values.count == count)
        #expect(values.indices.allSatisfy { values[$0] == Float($0 % 1021) })
    }

    @Test func anInitializerThatWritesNothingLeavesAnEmptyArray() {
        let values = [Double](tensorCapacity: [Double].hugePageBytes / 8) { _, _ in }
        #expect(values.isEmpty)
    }
}
