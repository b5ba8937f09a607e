import Testing
@testable import SluiceCore

/// The exposition as exact text, in both formats, for every metric type.

func text(_ registry: MetricsRegistry, _ format: ExpositionFormat) -> String {
    String(decoding: registry.render(format: format), as: UTF8.self)
}

@Test func emptyRegistryIsEmptyTextAndABareEOF() {
    let registry = MetricsRegistry()
    #expect(text(registry, .prometheus) == "")
    #expect(text(registry, .openMetrics) == "# EOF\n")
}

@Test func counterSamplesEndInTotalAndOpenMetricsNamesTheFamilyWithout() {
    let registry = MetricsRegistry()
    let requests = registry.counter(
        name: "sluice_requests_total", help: "Requests answered.", labelNames: ["route", "code"])
    requests.handle(labels: ["fraud", "200"]).increment(by: 3)
    requests.handle(labels: ["", "404"]).increment()
    #expect(
        text(registry, .prometheus) == """
            # HELP sluice_requests_total Requests answered.
            # TYPE sluice_requests_total counter
            sluice_requests_total{route="fraud",code="200"} 3
            sluice_requests_total{route="",code="404"} 1

            """)
    #expect(
        text(registry, .openMetrics) == """
            # HELP sluice_requests Requests answered.
            # TYPE sluice_requests counter
            sluice_requests_total{route="fraud",code="200"} 3
            sluice_requests_total{route="",code="404"} 1
            # EOF

            """)
}

@Test func counterRegisteredWithoutTotalStillExposesTotal() {
    let registry = MetricsRegistry()
    registry.counter(name: "shadow_requests", help: "Shadow copies sent.").handle().increment()
    #expect(
        text(registry, .prometheus) == """
            # HELP shadow_requests_total Shadow copies sent.
            # TYPE shadow_requests_total counter
            shadow_requests_total 1

            """)
}

@Test func gaugesRenderIntegersPlainlyAndFractionsExactly() {
    let registry = MetricsRegistry()
    let inflight = registry.gauge(name: "sluice_inflight_requests", help: "Requests in progress.")
    inflight.handle().increment()
    inflight.handle().increment()
    inflight.handle().decrement()
    let weight = registry.gauge(name: "sluice_route_weight", help: "Share of traffic.", labelNames: ["route", "version"])
    weight.handle(labels: ["fraud", "3"]).set(0.25)
    weight.handle(labels: ["fraud", "4"]).set(-.infinity)
    weight.handle(labels: ["fraud", "5"]).set(.nan)
    let expected = """
        # HELP sluice_inflight_requests Requests in progress.
        # TYPE sluice_inflight_requests gauge
        sluice_inflight_requests 1
        # HELP sluice_route_weight Share of traffic.
        # TYPE sluice_route_weight gauge
        sluice_route_weight{route="fraud",version="3"} 0.25
        sluice_route_weight{route="fraud",version="4"} -Inf
        sluice_route_weight{route="fraud",version="5"} NaN

        """
    #expect(text(registry, .prometheus) == expected)
    #expect(text(registry, .openMetrics) == expected + "# EOF\n")
}

@Test func histogramBucketsAreCumulativeWithInfSumAndCount() {
    let registry = MetricsRegistry()
    let duration = registry.histogram(
        name: "sluice_request_duration_seconds", help: "Whole request.", labelNames: ["model"],
        buckets: [0.1, 1, 2.5])
    let handle = duration.handle(labels: ["m"])
    for value in [0.0625, 0.5, 0.5, 3, 1] { handle.observe(seconds: value) }
    #expect(handle.cumulativeCounts == [1, 4, 4, 5])
    #expect(
        text(registry, .prometheus) == """
            # HELP sluice_request_duration_seconds Whole request.
            # TYPE sluice_request_duration_seconds histogram
            sluice_request_duration_seconds_bucket{model="m",le="0.1"} 1
            sluice_request_duration_seconds_bucket{model="m",le="1"} 4
            sluice_request_duration_seconds_bucket{model="m",le="2.5"} 4
            sluice_request_duration_seconds_bucket{model="m",le="+Inf"} 5
            sluice_request_duration_seconds_sum{model="m"} 5.0625
            sluice_request_duration_seconds_count{model="m"} 5

            """)
    // OpenMetrics writes bounds as canonical floats.
    #expect(
        text(registry, .openMetrics) == """
            # HELP sluice_request_duration_seconds Whole request.
            # TYPE sluice_request_duration_seconds histogram
            sluice_request_duration_seconds_bucket{model="m",le="0.1"} 1
            sluice_request_duration_seconds_bucket{model="m",le="1.0"} 4
            sluice_request_duration_seconds_bucket{model="m",le="2.5"} 4
            sluice_request_duration_seconds_bucket{model="m",le="+Inf"} 5
            sluice_request_duration_seconds_sum{model="m"} 5.0625
            sluice_request_duration_seconds_count{model="m"} 5
            # EOF

            """)
}

@Test func histogramWithoutLabelsAndNoObservations() {
    let registry = MetricsRegistry()
    _ = registry.histogram(name: "sluice_batch_size", help: "Rows per batch.", buckets: [1, 2]).handle()
    #expect(
        text(registry, .prometheus) == """
            # HELP sluice_batch_size Rows per batch.
            # TYPE sluice_batch_size histogram
            sluice_batch_size_bucket{le="1"} 0
            sluice_batch_size_bucket{le="2"} 0
            sluice_batch_size_bucket{le="+Inf"} 0
            sluice_batch_size_sum 0
            sluice_batch_size_count 0

            """)
}

@Test func latencyBucketsSpanFiftyMicrosecondsToTenSeconds() {
    let registry = MetricsRegistry()
    let handle = registry.histogram(name: "d_seconds", help: "d.").handle()
    handle.observe(seconds: 0.00004)  // below the first bound
    handle.observe(seconds: 0.00005)  // on a bound: `le` is inclusive
    handle.observe(seconds: 10)
    handle.observe(seconds: 11)
    #expect(Buckets.latency.first == 0.00005 && Buckets.latency.last == 10)
    let counts = handle.cumulativeCounts
    #expect(counts.count == Buckets.latency.count + 1)
    #expect(counts.first == 2 && counts[counts.count - 2] == 3 && counts.last == 4)
    let lines = text(registry, .prometheus).split(separator: "\n")
    #expect(lines[2] == #"d_seconds_bucket{le="5e-05"} 2"#)
    #expect(lines[3] == #"d_seconds_bucket{le="0.0001"} 2"#)
    #expect(lines[18] == #"d_seconds_bucket{le="10"} 3"#)
}

@Test func helpAndLabelValuesAreEscapedPerFormat() {
    let registry = MetricsRegistry()
    registry.counter(
        name: "odd_total", help: #"Back\slash, "quotes" and"# + "\nnew line.", labelNames: ["path"]
    ).handle(labels: [#"C:\dir "x""# + "\nend"]).increment()
    #expect(
        text(registry, .prometheus) == #"""
            # HELP odd_total Back\\slash, "quotes" and\nnew line.
            # TYPE odd_total counter
            odd_total{path="C:\\dir \"x\"\nend"} 1

            """#)
    #expect(
        text(registry, .openMetrics) == #"""
            # HELP odd Back\\slash, \"quotes\" and\nnew line.
            # TYPE odd counter
            odd_total{path="C:\\dir \"x\"\nend"} 1
            # EOF

            """#)
}

@Test func familyWithoutSeriesListsOnlyItsDescriptor() {
    let registry = MetricsRegistry()
    _ = registry.counter(name: "sluice_http_errors_total", help: "Errors.", labelNames: ["code"])
    #expect(
        text(registry, .prometheus) == """
            # HELP sluice_http_errors_total Errors.
            # TYPE sluice_http_errors_total counter

            """)
}

@Test func collectedFamiliesAreReadAtEachScrape() {
    let registry = MetricsRegistry()
    let open = Gauge(labels: [])
    registry.collectGauge(name: "sluice_connections_open", help: "Open connections.", labelNames: ["protocol"]) {
        [MetricSample(labelValues: ["http1"], value: open.value), MetricSample(labelValues: ["h2"], value: 0)]
    }
    registry.collectCounter(name: "sluice_accepted_total", help: "Accepted.") {
        [MetricSample(value: 7)]
    }
    open.set(3)
    #expect(
        text(registry, .openMetrics) == """
            # HELP sluice_connections_open Open connections.
            # TYPE sluice_connections_open gauge
            sluice_connections_open{protocol="http1"} 3
            sluice_connections_open{protocol="h2"} 0
            # HELP sluice_accepted Accepted.
            # TYPE sluice_accepted counter
            sluice_accepted_total 7
            # EOF

            """)
    open.set(5)
    #expect(text(registry, .prometheus).contains("sluice_connections_open{protocol=\"http1\"} 5\n"))
}

@Test(arguments: [
    (0.0, "0"), (-0.0, "0"), (42, "42"), (-3, "-3"), (1e15, "1000000000000000"),
    (0.25, "0.25"), (5e-05, "5e-05"), (0x1p53, "9007199254740992.0"), (1e21, "1e+21"),
    (.infinity, "+Inf"), (-.infinity, "-Inf"), (.nan, "NaN"),
])
func numbersAreWrittenAsPrometheusParsesThem(value: Double, expected: String) {
    var out: [UInt8] = []
    ExpositionWriter.appendNumber(value, to: &out)
    #expect(String(decoding: out, as: UTF8.self) == expected)
}

@Test func countsUseEveryDigit() {
    var out: [UInt8] = []
    ExpositionWriter.appendDecimal(.max, to: &out)
    #expect(String(decoding: out, as: UTF8.self) == "18446744073709551615")
}

@Test func exponentialBucketsMultiplyEachBound() {
    #expect(Buckets.exponential(start: 1, factor: 2, count: 4) == [1, 2, 4, 8])
    #expect(Buckets.batchSize.first == 1 && Buckets.batchSize.last == 1024)
}

@Test func observingSinceAnInstantRecordsTheElapsedSeconds() {
    let handle = MetricsRegistry().histogram(name: "h_seconds", help: "h.", buckets: [3600]).handle()
    handle.observe(since: ContinuousClock.now)
    #expect(handle.cumulativeCounts == [1, 1])
    #expect(handle.sum >= 0 && handle.sum < 3600)
}
