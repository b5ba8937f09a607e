/// The deadlines of waiting requests, earliest first: a binary min-heap of (deadline, arrival
/// sequence), so `BatchQueue.step` finds what expired in O(log n) each instead of scanning its
/// whole queue on every call. Entries of requests that started stay until they surface or a
/// rebuild drops them (the queue checks whether a popped sequence still waits).
struct DeadlineHeap: Sendable {
    private var nodes: [(deadline: UInt64, seq: UInt64)] = []

    var count: Int { nodes.count }
    var earliest: (deadline: UInt64, seq: UInt64)? { nodes.first }

    mutating func insert(_ deadline: UInt64, seq: UInt64) {
        nodes.append((deadline, seq))
        var child = nodes.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(nodes[child], nodes[parent]) else { break }
            nodes.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popEarliest() {
        guard !nodes.isEmpty else { return }
        nodes.swapAt(0, nodes.count - 1)
        nodes.removeLast()
        siftDown(0)
    }

    /// Keeps only the entries `keep` accepts, in O(n): how stale entries are dropped once they
    /// outnumber the live ones.
    mutating func filter(_ keep: (UInt64) -> Bool) {
        nodes.removeAll { !keep($0.seq) }
        for i in stride(from: nodes.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            var smallest = parent
            let left = 2 * parent + 1
            if left < nodes.count, Self.less(nodes[left], nodes[smallest]) { smallest = left }
            if left + 1 < nodes.count, Self.less(nodes[left + 1], nodes[smallest]) { smallest = left + 1 }
            guard smallest != parent else { return }
            nodes.swapAt(parent, smallest)
            parent = smallest
        }
    }

    private static func less(_ a: (deadline: UInt64, seq: UInt64), _ b: (deadline: UInt64, seq: UInt64)) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.seq < b.seq
    }
}
