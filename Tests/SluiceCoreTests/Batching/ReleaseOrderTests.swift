import Testing
@testable import SluiceCore

/// `preserve_ordering`: answers leave in arrival order whatever order they finish in.
@Suite struct ReleaseOrderTests {
    @Test func answersAreReleasedInArrivalOrder() {
        var order = ReleaseOrder<String>()
        let tickets = (0..<4).map { _ in order.arrived() }
        #expect(tickets == [0, 1, 2, 3])
        #expect(order.done(2, "c") == [])
        #expect(order.done(1, "b") == [])
        #expect(order.done(0, "a") == ["a", "b", "c"])
        #expect(order.outstanding == 1)
        #expect(order.done(3, "d") == ["d"])
        #expect(order.outstanding == 0)
    }

    @Test func unknownAndRepeatedTicketsAreIgnored() {
        var order = ReleaseOrder<Int>()
        let first = order.arrived()
        let second = order.arrived()
        #expect(order.done(7, 70) == [])
        #expect(order.done(second, 2) == [])
        #expect(order.done(second, 22) == [])
        #expect(order.done(first, 1) == [1, 2])
        #expect(order.done(first, 11) == [])
        #expect(order.done(order.arrived(), 3) == [3])
    }

    @Test func aLongRunReleasesEverythingOnceAndInOrder() {
        var order = ReleaseOrder<Int>()
        var rng = SplitMix64(state: 3)
        var released: [Int] = []
        var open: [(ticket: UInt64, value: Int)] = []
        for value in 0..<5000 {
            open.append((order.arrived(), value))
            // Answer a random open ticket now and then, so answers finish out of order.
            while !open.isEmpty, Int.random(in: 0..<3, using: &rng) > 0 {
                let done = open.remove(at: Int.random(in: open.indices, using: &rng))
                released += order.done(done.ticket, done.value)
            }
        }
        for done in open.shuffled(using: &rng) { released += order.done(done.ticket, done.value) }
        #expect(released == Array(0..<5000))
        #expect(order.outstanding == 0)
    }
}
