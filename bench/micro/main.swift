import Foundation
import SluiceBackends
import SluiceCore
import SluiceServer

// In-process micro-benchmarks of the per-request path, pieces measured apart:
//   swift run -c release sluice-micro [models-dir]
// Each line: median and best of 15 rounds, ns per operation. Used for the scheduling decision
// (README "Where inference runs") and to find what to make faster; never run by the tests.
// `sluice-micro backend-speed …` times one backend's infer instead (BackendSpeed.swift), for
// bench/backend-speed.sh; `sluice-micro codecs` the big-batch codecs (Codecs.swift), for
// bench/big-batch.sh.

@discardableResult
func measure(_ name: String, iterations: Int, _ body: () throws -> Void) rethrows -> Double {
    var samples: [Double] = []
    for _ in 0..<15 {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { try body() }
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations))
    }
    samples.sort()
    let pad = name.padding(toLength: 44, withPad: " ", startingAt: 0)
    print("\(pad) median \(String(format: "%10.0f", samples[7])) ns   best \(String(format: "%10.0f", samples[0])) ns")
    return samples[7]
}

if CommandLine.arguments.dropFirst().first == "codecs" {
    try Codecs.run()
    exit(0)
}

if CommandLine.arguments.dropFirst().first == "backend-speed" {
    try BackendSpeed.run(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}

let models = CommandLine.arguments.dropFirst().first ?? "models"
let manager = ModelManager(
    source: RepositoryScanner(root: models, backends: Backends.standard), loader: Backends.standard.load) { _, _ in }
manager.loadAll()
guard let fraud = try? manager.snapshot.model(named: "fraud")?.servable(version: nil) else {
    print("no ready 'fraud' model under \(models)")
    exit(1)
}
let dataPlane = DataPlane(manager: manager, isAccepting: { true })

for rows in [1, 64, 256] {
    var generator = SystemRandomNumberGenerator()
    let values = (0..<(rows * 20)).map { _ in Float.random(in: -2...2, using: &generator) }
    let body = Array(#"{"inputs":[{"name":"input","datatype":"FP32","shape":[\#(rows),20],"data":[\#(values.map { "\($0)" }.joined(separator: ","))]}]}"#.utf8)
    let iterations = max(20, 4000 / rows)
    try measure("V2 JSON decode, \(rows) rows", iterations: iterations) { _ = try V2Request.decode(body) }
    let request = try V2Request.decode(body)
    let prepared = try dataPlane.prepare(request.request, for: fraud)
    try measure("prepare (signature check), \(rows) rows", iterations: iterations) { _ = try dataPlane.prepare(request.request, for: fraud) }
    try measure("infer fraud v\(fraud.version), \(rows) rows", iterations: iterations) { _ = try dataPlane.infer(prepared, on: fraud) }
    let response = try dataPlane.infer(prepared, on: fraud)
    try measure("V2 JSON encode, \(rows) rows", iterations: iterations) { _ = try V2ResponseEncoder.encode(response, for: request) }
}

// What telemetry adds to one inference: the request counter and duration, and the compute,
// queue and batch-size histograms that DataPlane.infer and the V2 endpoint record.
let metrics = VersionMetrics(ServingMetrics(registry: MetricsRegistry()), model: "fraud", version: 2)
measure("metrics recorded per request", iterations: 100_000) {
    metrics.recordRequest(protocol: "v2", code: 200, seconds: 0.000042)
    metrics.compute.observe(seconds: 0.000003)
    metrics.queue.observe(seconds: 0)
    metrics.batch.observe(1)
}

// What routing adds to finding the version: a plain model name on a server without routes and
// on one with a route (config/routes.yaml's fraud-ab), then the route itself, with a random
// draw and with a sticky key (one MurmurHash3 and a threshold scan).
let headers: [String: String] = ["x-user-id": "user-42"]
// Names as the server sees them: slices of the request target.
let target = "/v2/models/fraud/infer /v2/models/fraud-ab/infer"
let parts = target.split(separator: "/")
let modelName = parts[2], routeName = parts[6]
let noRoutes = Routes(file: nil, configs: [], manager: manager, metrics: nil, now: { 0 }) { _, _ in }
let routeConfigs = (try? RouteConfig.parseFile(contentsOf: "config/routes.yaml")) ?? []
let withRoutes = Routes(file: nil, configs: routeConfigs, manager: manager, metrics: nil, now: { 0 }) { _, _ in }
let plainPlane = DataPlane(manager: manager, routes: noRoutes, isAccepting: { true })
let routedPlane = DataPlane(manager: manager, routes: withRoutes, isAccepting: { true })
try measure("resolve model name, no routes", iterations: 200_000) {
    _ = try plainPlane.resolve(name: modelName, version: nil) { headers[$0] }
}
try measure("resolve model name, routes configured", iterations: 200_000) {
    _ = try routedPlane.resolve(name: modelName, version: nil) { headers[$0] }
}
if !routeConfigs.isEmpty {
    try measure("resolve route fraud-ab, random arm", iterations: 200_000) {
        _ = try routedPlane.resolve(name: routeName, version: nil) { _ in nil }
    }
    try measure("resolve route fraud-ab, sticky key", iterations: 200_000) {
        _ = try routedPlane.resolve(name: routeName, version: nil) { headers[$0] }
    }
}
