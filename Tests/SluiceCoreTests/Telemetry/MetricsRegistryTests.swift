import Dispatch
import Testing
@testable import SluiceCore

@Test func sameLabelValuesGiveTheSameHandle() {
    let family = MetricsRegistry().counter(name: "c_total", help: "c.", labelNames: ["model", "version"])
    let first = family.handle(labels: ["m", "1"])
    #expect(family.handle(labels: ["m", "1"]) === first)
    #expect(family.handle(labels: ["m", "2"]) !== first)
}

@Test func registeringAgainReturnsTheSameFamily() {
    let registry = MetricsRegistry()
    let first = registry.counter(name: "c_total", help: "c.", labelNames: ["a"])
    #expect(registry.counter(name: "c_total", help: "c.", labelNames: ["a"]) === first)
    #expect(registry.counter(name: "c", help: "c.", labelNames: ["a"]) === first)
    first.handle(labels: ["x"]).increment()
    #expect(text(registry, .prometheus).split(separator: "\n").count == 3)
}

@Test func removedSeriesLeaveTheScrapeAndComeBackFromZero() {
    let registry = MetricsRegistry()
    let family = registry.gauge(name: "g", help: "g.", labelNames: ["v"])
    family.handle(labels: ["1"]).set(1)
    family.handle(labels: ["2"]).set(2)
    family.remove(labels: ["1"])
    #expect(!text(registry, .prometheus).contains(#"v="1""#))
    #expect(family.handle(labels: ["1"]).value == 0)
}

@Test func concurrentIncrementsOfOneHandleAreAllCounted() {
    let registry = MetricsRegistry()
    let counter = registry.counter(name: "c_total", help: "c.").handle()
    let gauge = registry.gauge(name: "g", help: "g.").handle()
    let histogram = registry.histogram(name: "h_seconds", help: "h.").handle()
    DispatchQueue.concurrentPerform(iterations: 8) { i in
        for _ in 0..<100_000 {
            counter.increment()
            gauge.add(i.isMultiple(of: 2) ? 1 : -1)
            histogram.observe(seconds: 0.5)
        }
    }
    #expect(counter.value == 800_000)
    #expect(gauge.value == 0)
    #expect(histogram.cumulativeCounts.last == 800_000)
    #expect(histogram.sum == 400_000)
}

@Test func concurrentResolutionCreatesOneHandlePerLabelSet() {
    let family = MetricsRegistry().counter(name: "c_total", help: "c.", labelNames: ["code"])
    DispatchQueue.concurrentPerform(iterations: 8) { i in
        for n in 0..<1000 { family.handle(labels: [String((n + i) % 10)]).increment() }
    }
    let total = (0..<10).reduce(UInt64(0)) { $0 + family.handle(labels: [String($1)]).value }
    #expect(total == 8000)
}

@Test func scrapingWhileCountingSeesCumulativeBucketsThatAgreeWithTheCount() {
    let registry = MetricsRegistry()
    let histogram = registry.histogram(name: "h_seconds", help: "h.", buckets: [0.001, 0.01]).handle()
    DispatchQueue.concurrentPerform(iterations: 2) { i in
        if i == 0 {
            for n in 0..<200_000 { histogram.observe(seconds: n.isMultiple(of: 3) ? 0.0005 : 0.05) }
        } else {
            for _ in 0..<200 {
                // Bucket 0.001, bucket 0.01, +Inf, _sum, _count.
                let values = text(registry, .prometheus).split(separator: "\n").dropFirst(2)
                    .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
                guard values.count == 5 else {
                    Issue.record("unexpected scrape: \(values)")
                    return
                }
                #expect(values[0] <= values[1] && values[1] <= values[2])
                #expect(values[2] == values[4])
            }
        }
    }
}

@Test(arguments: [
    (nil, ExpositionFormat.prometheus),
    ("*/*", .prometheus),
    ("text/plain", .prometheus),
    ("application/openmetrics-text", .openMetrics),
    (
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
            + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1", .openMetrics
    ),
    ("text/plain, application/openmetrics-text; q=0.5", .prometheus),
    ("Application/OpenMetrics-Text; version=1.0.0; q=0", .prometheus),
    ("text/plain;q=0.5, application/openmetrics-text;q=0.5", .openMetrics),
])
func acceptHeaderChoosesTheFormat(accept: String?, format: ExpositionFormat) {
    #expect(ExpositionFormat.negotiate(accept: accept) == format)
}

@Test func contentTypesAreTheOnesScrapersExpect() {
    #expect(ExpositionFormat.prometheus.contentType == "text/plain; version=0.0.4; charset=utf-8")
    #expect(ExpositionFormat.openMetrics.contentType == "application/openmetrics-text; version=1.0.0; charset=utf-8")
}

@Test func seriesMatchingSomeLabelsAreForgottenTogether() {
    let registry = MetricsRegistry()
    let family = registry.counter(name: "r_total", help: "r.", labelNames: ["route", "model", "version", "code"])
    family.handle(labels: ["", "m", "1", "200"]).increment()
    family.handle(labels: ["a", "m", "1", "500"]).increment()
    family.handle(labels: ["", "m", "2", "200"]).increment()
    family.handle(labels: ["", "n", "1", "200"]).increment()
    family.remove(matching: [("model", "m"), ("version", "1")])
    let scrape = text(registry, .prometheus)
    #expect(!scrape.contains(#"model="m",version="1""#))
    #expect(scrape.contains(#"model="m",version="2""#) && scrape.contains(#"model="n",version="1""#))
    // A label the family does not have matches nothing.
    family.remove(matching: [("model", "m"), ("arm", "x")])
    #expect(text(registry, .prometheus).contains(#"model="m",version="2""#))
}
