import Synchronization

/// Executions of one version per batch size (the statistics extension's `batch_stats`): how
/// many backend calls ran with each number of rows, and the nanoseconds each spent assembling
/// inputs, in the backend and cutting outputs.
///
/// Bounded whatever clients send: sizes 1…`directSizes` (the version's `max_batch_size`, at most
/// 1024; 64 without one) have a bucket of relaxed atomics made at load, so recording them costs
/// four atomic adds and no lock. Other sizes (a lone request above `max_batch_size`, a request
/// to a model without one, 0 rows) go into a small map under a mutex, taken only by those
/// rarer, larger calls; it holds at most `maxOtherSizes` sizes, and an execution of a size
/// beyond that is left out of `batch_stats` (still counted in `execution_count`).
package final class BatchSizeStats: Sendable {
    package struct Totals: Sendable, Equatable {
        package var count = 0
        package var inputNanos = 0
        package var inferNanos = 0
        package var outputNanos = 0

        package init(count: Int = 0, inputNanos: Int = 0, inferNanos: Int = 0, outputNanos: Int = 0) {
            self.count = count
            self.inputNanos = inputNanos
            self.inferNanos = inferNanos
            self.outputNanos = outputNanos
        }
    }

    private final class Bucket: Sendable {
        let count = Atomic<Int>(0)
        let inputNanos = Atomic<Int>(0)
        let inferNanos = Atomic<Int>(0)
        let outputNanos = Atomic<Int>(0)
    }

    /// The most sizes with a bucket of their own, and the bucket count without `max_batch_size`.
    package static let maxDirectSizes = 1024
    package static let defaultDirectSizes = 64
    /// The most other sizes kept in the map.
    package static let maxOtherSizes = 1024

    private let direct: [Bucket]
    private let others = Mutex<[Int: Totals]>([:])

    /// - Parameter maxBatchSize: the version's `max_batch_size`, nil when it has none.
    package init(maxBatchSize: Int?) {
        let sizes = min(max(maxBatchSize ?? Self.defaultDirectSizes, 1), Self.maxDirectSizes)
        direct = (0..<sizes).map { _ in Bucket() }
    }

    /// Records one backend call of `rows` rows. Any thread.
    package func record(rows: Int, inputNanos: Int, inferNanos: Int, outputNanos: Int) {
        guard rows >= 1, rows <= direct.count else {
            others.withLock { others in
                guard others[rows] != nil || others.count < Self.maxOtherSizes else { return }
                others[rows, default: Totals()].count += 1
                others[rows, default: Totals()].inputNanos &+= inputNanos
                others[rows, default: Totals()].inferNanos &+= inferNanos
                others[rows, default: Totals()].outputNanos &+= outputNanos
            }
            return
        }
        let bucket = direct[rows - 1]
        bucket.count.add(1, ordering: .relaxed)
        bucket.inferNanos.add(inferNanos, ordering: .relaxed)
        if inputNanos != 0 { bucket.inputNanos.add(inputNanos, ordering: .relaxed) }
        if outputNanos != 0 { bucket.outputNanos.add(outputNanos, ordering: .relaxed) }
    }

    /// Every size that ran at least once, ascending, with its totals. Each value is read
    /// relaxed: exact on its own, not a snapshot across sizes.
    package var sizes: [(size: Int, totals: Totals)] {
        var result: [(size: Int, totals: Totals)] = []
        for (i, bucket) in direct.enumerated() {
            let count = bucket.count.load(ordering: .relaxed)
            guard count > 0 else { continue }
            result.append((i + 1, Totals(
                count: count, inputNanos: bucket.inputNanos.load(ordering: .relaxed),
                inferNanos: bucket.inferNanos.load(ordering: .relaxed), outputNanos: bucket.outputNanos.load(ordering: .relaxed))))
        }
        result += others.withLock { $0.map { ($0.key, $0.value) } }
        return result.sorted { $0.size < $1.size }
    }
}
