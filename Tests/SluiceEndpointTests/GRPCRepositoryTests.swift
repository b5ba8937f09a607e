import Foundation
import SluiceCore
import SluiceHTTP
import SwiftProtobuf
import Testing
@testable import SluiceServer

private let service = "inference.GRPCInferenceService/"

/// The repository methods behind the admin token, which a gRPC client sends as metadata.
@Suite struct GRPCRepositoryTests {
    let harness: Harness
    let tokenFile: URL

    init() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-grpc-token-\(UUID().uuidString)")
        try Data("s3cret\n".utf8).write(to: file)
        tokenFile = file
        harness = try Harness { $0.adminTokenFile = file.path }
    }

    private let admin = [("authorization", "Bearer s3cret")]

    @Test func aMissingTokenIsUnauthenticatedAndAWrongOnePermissionDenied() throws {
        defer { try? FileManager.default.removeItem(at: tokenFile) }
        var unload = Inference_RepositoryModelUnloadRequest()
        unload.modelName = "iris"
        for (method, message) in [
            ("RepositoryIndex", try Inference_RepositoryIndexRequest().serializedBytes() as [UInt8]),
            ("RepositoryModelLoad", try unload.serializedBytes() as [UInt8]),
            ("RepositoryModelUnload", try unload.serializedBytes() as [UInt8]),
        ] {
            let missing = try harness.grpc(service + method, body: message)
            #expect(missing.code == .unauthenticated, "\(method)")
            #expect(missing.error?.message == "missing bearer token (Authorization: Bearer <token>)")
            let wrong = try harness.grpc(service + method, body: message, metadata: [("authorization", "Bearer guess")])
            #expect(wrong.code == .permissionDenied, "\(method)")
            #expect(wrong.error?.message == "wrong bearer token")
        }
        // Nothing was unloaded by the refused calls.
        #expect(harness.server.manager.snapshot.model(named: "iris")?.readyVersions == [1])
    }

    @Test func theIndexIsRESTsAndAnUnloadAndLoadChangeIt() throws {
        defer { try? FileManager.default.removeItem(at: tokenFile) }
        func index(ready: Bool = false) throws -> [String] {
            var ask = Inference_RepositoryIndexRequest()
            ask.ready = ready
            return try harness.grpc(service + "RepositoryIndex", ask, metadata: admin).message(Inference_RepositoryIndexResponse.self)
                .models.map { "\($0.name) \($0.version) \($0.state) \($0.reason)" }
        }
        func restIndex(ready: Bool = false) throws -> [String] {
            let rows = try harness.call("POST", "/v2/repository/index", json: ready ? #"{"ready":true}"# : "{}", headers: admin)
            return (rows.response.body.isEmpty ? [] : try JSONSerialization.jsonObject(with: Data(rows.response.body)) as? [[String: Any]] ?? [])
                .map { "\($0["name"] ?? "") \($0["version"] ?? "") \($0["state"] ?? "") \($0["reason"] ?? "")" }
        }
        let all = try index()
        #expect(all.contains("fraud 2 READY "))
        #expect(all == (try restIndex()))

        var unload = Inference_RepositoryModelUnloadRequest()
        unload.modelName = "iris"
        #expect(try harness.grpc(service + "RepositoryModelUnload", unload, metadata: admin).response.status == 200)
        var ready = Inference_ModelReadyRequest()
        ready.name = "iris"
        #expect(try harness.grpc(service + "ModelReady", ready).message(Inference_ModelReadyResponse.self).ready == false)
        #expect(try index(ready: true) == (try restIndex(ready: true)))
        #expect(try index(ready: true).allSatisfy { !$0.hasPrefix("iris ") })
        #expect(try index().contains { $0.hasPrefix("iris ") && $0.contains("UNAVAILABLE") })

        var load = Inference_RepositoryModelLoadRequest()
        load.modelName = "iris"
        #expect(try harness.grpc(service + "RepositoryModelLoad", load, metadata: admin).response.status == 200)
        #expect(try harness.grpc(service + "ModelReady", ready).message(Inference_ModelReadyResponse.self).ready)
        load.modelName = "nope"
        #expect(try harness.grpc(service + "RepositoryModelLoad", load, metadata: admin).code == .notFound)
    }

    @Test func aServerThatIsNotReadyIsNotServing() throws {
        defer { try? FileManager.default.removeItem(at: tokenFile) }
        harness.server.stop()
        #expect(try harness.call("GET", "/v2/health/ready").response.status == 503)
        #expect(try harness.grpc(service + "ServerReady", Inference_ServerReadyRequest()).message(Inference_ServerReadyResponse.self).ready == false)
        let health = try harness.grpc("grpc.health.v1.Health/Check", Grpc_Health_V1_HealthCheckRequest())
        #expect(try health.message(Grpc_Health_V1_HealthCheckResponse.self).status == .notServing)
        #expect(try harness.grpc(service + "ServerLive", Inference_ServerLiveRequest()).message(Inference_ServerLiveResponse.self).live)
    }
}
