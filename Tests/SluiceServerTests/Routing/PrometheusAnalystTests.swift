import Foundation
import Glibc
import Testing
import SluiceCore
@testable import SluiceServer

/// The Prometheus analyst against a fake Prometheus on loopback: the four queries it sends
/// (evaluated at the boundary, under the URL's prefix), the figures it reads back, and every way
/// the answer can fail, each an `AnalysisError` that holds the canary.
@Suite struct PrometheusAnalystTests {
    static func query(_ prometheus: FakePrometheus, path: String = "", timeout: Double = 5) -> BoundaryQuery {
        let analysis = CanaryAnalysis(
            prometheus: PrometheusURL(host: "127.0.0.1", port: prometheus.port, path: path), timeout: timeout, start: 1_000)
        return BoundaryQuery(route: "fleet", candidate: 2, analysis: analysis, windowStart: 1_000, boundary: 1_030)
    }

    @Test func theFourQueriesAreAskedAtTheBoundaryAndTheirValuesRead() throws {
        let prometheus = try FakePrometheus(
            FakePrometheus.figures(requests: "152.4", errors: "3.2", candidateP99: "0.0125", baselineP99: "NaN"))
        let query = Self.query(prometheus, path: "/prom")
        let figures = try PrometheusAnalyst().figures(for: query)
        #expect(figures == BoundaryFigures(candidate: ArmSample(requests: 152, errors: 3, p99: 0.0125), baselineP99: nil))
        let asked = prometheus.asked
        #expect(asked.map(\.path) == Array(repeating: "/prom/api/v1/query", count: 4))
        #expect(asked.map { $0.parameters["time"] } == Array(repeating: "1030", count: 4))
        let q = query.promQL
        #expect(asked.map { $0.parameters["query"] } == [q.requests, q.errors, q.candidateP99, q.baselineP99])
    }

    @Test func requestsWithoutALatencyHoldAndAnInfiniteP99IsTheLargest() throws {
        let missing = try FakePrometheus(
            FakePrometheus.figures(requests: "40", errors: "0", candidateP99: "NaN", baselineP99: "0.01"))
        #expect {
            try PrometheusAnalyst().figures(for: Self.query(missing))
        } throws: { error in
            "\(error)".contains("40 candidate requests but no p99")
        }
        let slow = try FakePrometheus(
            FakePrometheus.figures(requests: "40", errors: "0", candidateP99: "+Inf", baselineP99: "0.01"))
        let figures = try PrometheusAnalyst().figures(for: Self.query(slow))
        #expect(figures.candidate.p99 == .greatestFiniteMagnitude)
    }

    @Test func anEmptyVectorIsNoRequestsAndNoP99AndAChunkedAnswerReads() throws {
        let prometheus = try FakePrometheus { asked in
            let body = FakePrometheus.vector(asked.parameters["query"]?.hasPrefix("histogram_quantile") == true ? "0.5" : nil)
            let size = String(body.utf8.count, radix: 16)
            return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\(size)\r\n\(body)\r\n0\r\n\r\n"
        }
        let figures = try PrometheusAnalyst().figures(for: Self.query(prometheus))
        #expect(figures == BoundaryFigures(candidate: ArmSample(requests: 0, errors: 0, p99: 0.5), baselineP99: 0.5))
    }

    @Test(arguments: [
        ("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops", "HTTP 500 for sum(increase(sluice_requests_total"),
        (FakePrometheus.ok(#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\""}"#),
         "Prometheus answered status error: bad_data: invalid parameter \"query\""),
        ("HTTP/1.1 422 Unprocessable Entity\r\nContent-Length: 68\r\n\r\n" + #"{"status":"error","errorType":"execution","error":"query timed out"}"#,
         "HTTP 422 for sum(increase(sluice_requests_total{route=\"fleet\",version=\"2\"}[30s])): Prometheus answered status error: execution: query timed out"),
        (FakePrometheus.ok("<html>not prometheus</html>"), "unreadable answer"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"status\":", "the connection closed before the end of the body"),
    ])
    func aFailedAnswerIsAnAnalysisErrorThatSaysWhy(_ answer: String, _ message: String) throws {
        let prometheus = try FakePrometheus { _ in answer }
        #expect {
            try PrometheusAnalyst().figures(for: Self.query(prometheus))
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func aSilentPrometheusTimesOutAndAClosedPortIsRefused() throws {
        let silent = try FakePrometheus { _ in nil }
        #expect {
            try PrometheusAnalyst().figures(for: Self.query(silent, timeout: 0.05))
        } throws: { error in
            "\(error)" == "timed out reading the status line"
        }
        let refusing = try RefusingPort()
        var query = Self.query(silent)
        query.analysis.prometheus.port = refusing.port
        #expect {
            try PrometheusAnalyst().figures(for: query)
        } throws: { error in
            "\(error)".hasPrefix("cannot connect: connect failed: Connection refused")
        }
    }
}
