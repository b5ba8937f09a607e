import Testing
@testable import SluiceCore

/// Random traffic through the whole pure batching path on a simulated clock: `BatchQueue`
/// decides, `TensorBatch` concatenates, a row-wise fake backend runs, `TensorBatch` splits, and
/// `ReleaseOrder` releases. Every answer must equal the one the request gets alone, and the
/// queue's rules must hold at every step.
@Suite struct BatchPropertyTests {
    static let maxBatchSize = 8
    static let delay: UInt64 = 1000

    struct Flight {
        let end: UInt64
        let id: UInt64
        let items: [Int]
        let answers: [[Tensor]]
    }

    @Test(arguments: 1...6)
    func randomTrafficGetsTheAnswersOfUnbatchedCallsInArrivalOrder(seed: Int) throws {
        var rng = SplitMix64(state: UInt64(seed))
        let instances = Int.random(in: 1...3, using: &rng)
        let settings = BatchQueue<Int>.Settings(
            maxBatchSize: Self.maxBatchSize, maxQueueDelayNanos: Self.delay,
            preferredBatchSizes: seed.isMultiple(of: 2) ? [4, 6] : [], instances: instances, maxQueue: 40)
        // 400 requests of 0 to 10 rows (0: no key, runs alone; above 8: alone), 2 row widths and
        // 3 choices of outputs (6 keys), arriving 0 to 400 ns apart; one in 8 has a deadline.
        let n = 400
        let outputChoices: [[String]] = [[], ["label", "name"], ["flag", "y"]]
        var requests: [InferenceRequest] = []
        var arrivals: [UInt64] = []
        var deadlines: [UInt64?] = []
        var clock: UInt64 = 0
        for i in 0..<n {
            let rows = Int.random(in: 0...10, using: &rng)
            requests.append(BatchFixtures.request(
                rows: rows, width: Int.random(in: 2...3, using: &rng), seed: i,
                outputs: outputChoices.randomElement(using: &rng) ?? []))
            clock += UInt64.random(in: 0...400, using: &rng)
            arrivals.append(clock)
            deadlines.append(Int.random(in: 0..<8, using: &rng) == 0 ? clock + UInt64.random(in: 0...3000, using: &rng) : nil)
        }
        let keys = requests.map(BatchKey.init)

        var queue = BatchQueue<Int>(settings)
        var order = ReleaseOrder<Int>()
        var tickets: [Int: UInt64] = [:]
        var admitted: [Int] = []
        var released: [Int] = []
        var waiting = Set<Int>()
        var flights: [Flight] = []
        var answers: [Int: [Tensor]] = [:]
        var expired = Set<Int>()
        var refused = 0
        var merged = 0
        var wake: UInt64?
        var next = 0
        clock = 0
        for _ in 0..<100_000 {
            let arrival = next < n ? arrivals[next] : .max
            let finish = flights.map(\.end).min() ?? .max
            let now = min(arrival, finish, wake ?? .max)
            guard now != .max else { break }
            #expect(now >= clock)
            clock = now
            if finish == now, let f = flights.firstIndex(where: { $0.end == now }) {
                let flight = flights.remove(at: f)
                queue.finished(flight.id)
                for (item, answer) in zip(flight.items, flight.answers) {
                    answers[item] = answer
                    released += order.done(tickets[item] ?? .max, item)
                }
            } else if arrival == now {
                let i = next
                next += 1
                let rows = TensorBatch.rows(of: requests[i]) ?? 0
                switch queue.enqueue(i, rows: rows, key: keys[i], deadline: deadlines[i], now: now) {
                case .queued:
                    tickets[i] = order.arrived()
                    admitted.append(i)
                    waiting.insert(i)
                case .full:
                    #expect(queue.waiting == 40)
                    refused += 1
                }
            }
            let step = queue.step(now: now)
            wake = step.wakeAt
            if let wake { #expect(wake > now) }
            for item in step.expired {
                #expect(deadlines[item].map { $0 <= now } == true)
                #expect(waiting.remove(item) != nil)
                expired.insert(item)
                released += order.done(tickets[item] ?? .max, item)
            }
            for batch in step.start {
                // FIFO across keys: a batch leads with the oldest request still waiting.
                #expect(batch.items.first == waiting.min())
                for item in batch.items {
                    #expect(waiting.remove(item) != nil)
                    #expect(deadlines[item].map { now < $0 } ?? true)
                }
                #expect(batch.rows == batch.items.map { TensorBatch.rows(of: requests[$0]) ?? 0 })
                if batch.items.count > 1 {
                    merged += 1
                    #expect(batch.rows.reduce(0, +) <= Self.maxBatchSize)
                    #expect(batch.items.allSatisfy { keys[$0] != nil && keys[$0] == keys[batch.items[0]] })
                }
                let inputs = try TensorBatch.concat(batch.items.map { requests[$0] })
                let outputs = BatchFixtures.infer(inputs, outputs: requests[batch.items[0]].outputs)
                let split = try TensorBatch.split(outputs, rows: batch.rows)
                let end = now + UInt64.random(in: 1...3000, using: &rng)
                flights.append(Flight(end: end, id: batch.id, items: batch.items, answers: split))
            }
            #expect(queue.running == flights.count && flights.count <= instances)
            #expect(queue.waiting == waiting.count)
            // The delay bound: with an instance free, nobody waits past arrival + delay, and the
            // driver is woken by the time the oldest would.
            if flights.count < instances, let oldest = waiting.min() {
                #expect(waiting.allSatisfy { now < arrivals[$0] + Self.delay })
                #expect(wake.map { $0 <= arrivals[oldest] + Self.delay } == true)
            }
            #expect(waiting.allSatisfy { deadlines[$0].map { now < $0 } ?? true })
        }
        #expect(next == n && flights.isEmpty && waiting.isEmpty)
        #expect(admitted.count + refused == n)
        #expect(merged > 10)
        #expect(!expired.isEmpty && refused > 0)
        for i in admitted where !expired.contains(i) {
            let alone = BatchFixtures.infer(requests[i].inputs, outputs: requests[i].outputs)
            #expect(answers[i] == alone, "request \(i)")
            #expect(answers[i]?.allSatisfy { $0.shape.first == requests[i].inputs[0].shape.first } == true)
        }
        #expect(answers.count + expired.count == admitted.count)
        #expect(released == admitted)
    }
}
