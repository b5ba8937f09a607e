import Foundation
import SluiceCore
import SluiceHTTP
import SwiftProtobuf
import Testing
@testable import SluiceServer

private let service = "inference.GRPCInferenceService/"

private func modelRequest<M: SwiftProtobufNamed>(_ type: M.Type, _ name: String, version: String = "") -> M {
    var call = M()
    call.name = name
    call.version = version
    return call
}

/// The request messages that name a model and a version.
protocol SwiftProtobufNamed: SwiftProtobuf.Message {
    var name: String { get set }
    var version: String { get set }
}
extension Inference_ModelReadyRequest: SwiftProtobufNamed {}
extension Inference_ModelMetadataRequest: SwiftProtobufNamed {}
extension Inference_ModelConfigRequest: SwiftProtobufNamed {}
extension Inference_ModelStatisticsRequest: SwiftProtobufNamed {}

/// Every method of the service but inference, each compared with what REST answers.
@Suite struct GRPCServiceTests {
    let harness: Harness
    init() throws { harness = try Harness() }

    @Test func liveReadyAndServerMetadataAnswerAsREST() throws {
        #expect(try harness.grpc(service + "ServerLive", Inference_ServerLiveRequest()).message(Inference_ServerLiveResponse.self).live)
        #expect(try harness.grpc(service + "ServerReady", Inference_ServerReadyRequest()).message(Inference_ServerReadyResponse.self).ready)
        let metadata = try harness.grpc(service + "ServerMetadata", Inference_ServerMetadataRequest())
            .message(Inference_ServerMetadataResponse.self)
        let rest = try harness.call("GET", "/v2").json
        #expect(metadata.name == "sluice" && metadata.name == rest?["name"] as? String)
        #expect(metadata.version == rest?["version"] as? String)
        #expect(metadata.extensions == rest?["extensions"] as? [String])
    }

    @Test(arguments: [("fraud", ""), ("fraud", "1"), ("fraud", "2"), ("fraud-ab", ""), ("iris", ""), ("digits-mlp", "")])
    func modelReadinessAndMetadataAnswerAsREST(model: String, version: String) throws {
        let path = "/v2/models/\(model)" + (version.isEmpty ? "" : "/versions/\(version)")
        let ready = try harness.grpc(service + "ModelReady", modelRequest(Inference_ModelReadyRequest.self, model, version: version))
        #expect(try ready.message(Inference_ModelReadyResponse.self).ready)
        #expect(try harness.call("GET", path + "/ready").json?["ready"] as? Bool == true)
        let metadata = try harness.grpc(service + "ModelMetadata", modelRequest(Inference_ModelMetadataRequest.self, model, version: version))
            .message(Inference_ModelMetadataResponse.self)
        let rest = try #require(try harness.call("GET", path).json)
        #expect(metadata.name == model && metadata.name == rest["name"] as? String)
        #expect(metadata.versions == rest["versions"] as? [String])
        #expect(!metadata.platform.isEmpty && metadata.platform == rest["platform"] as? String)
        for (tensors, key) in [(metadata.inputs, "inputs"), (metadata.outputs, "outputs")] {
            let json = try #require(rest[key] as? [[String: Any]])
            #expect(!tensors.isEmpty)
            #expect(tensors.map(\.name) == json.map { $0["name"] as? String ?? "" })
            #expect(tensors.map(\.datatype) == json.map { $0["datatype"] as? String ?? "" })
            #expect(tensors.map { $0.shape.map { Int($0) } } == json.map { $0["shape"] as? [Int] ?? [] })
        }
    }

    @Test func unknownModelsAndVersionsAreNotFound() throws {
        for method in ["ModelReady", "ModelMetadata", "ModelConfig"] {
            let model = try harness.grpc(service + method, modelRequest(Inference_ModelMetadataRequest.self, "nope"))
            #expect(model.code == .notFound, "\(method)")
            #expect(model.error?.message == "unknown model 'nope'")
            let version = try harness.grpc(service + method, modelRequest(Inference_ModelMetadataRequest.self, "fraud", version: "9"))
            #expect(version.code == .notFound, "\(method)")
            #expect(version.error?.message == "model 'fraud' has no version 9")
            let bad = try harness.grpc(service + method, modelRequest(Inference_ModelMetadataRequest.self, "fraud", version: "-1"))
            #expect(bad.code == .invalidArgument, "\(method)")
        }
        #expect(try harness.grpc(service + "ModelStatistics", modelRequest(Inference_ModelStatisticsRequest.self, "nope")).code == .notFound)
        #expect(try harness.grpc(service + "ModelMetadata", body: [0x0A, 0x05, 0x61]).code == .invalidArgument)
        // A method the service does not have.
        #expect(try harness.grpc(service + "ModelStreamInfer", Inference_ModelInferRequest()).code == .unimplemented)
        #expect(try harness.grpc("grpc.health.v1.Health/List", Grpc_Health_V1_HealthCheckRequest()).code == .unimplemented)
    }

    @Test func aModelConfigIsDerivedFromTheMetadata() throws {
        let fraud = try harness.grpc(service + "ModelConfig", modelRequest(Inference_ModelConfigRequest.self, "fraud"))
            .message(Inference_ModelConfigResponse.self).config
        #expect(fraud.name == "fraud")
        #expect(fraud.platform == "xgboost" && fraud.backend == "xgboost")
        #expect(fraud.maxBatchSize == 256)
        #expect(fraud.input.map(\.name) == ["input"])
        #expect(fraud.input.first?.dataType == .typeFp32)
        // With max_batch_size, dims leave out the batch dimension, as in Triton.
        #expect(fraud.input.first?.dims == [20])
        #expect(fraud.output.map(\.name) == ["probabilities", "label"])
        #expect(fraud.output.map(\.dataType) == [.typeFp32, .typeInt64])
        let iris = try harness.grpc(service + "ModelConfig", modelRequest(Inference_ModelConfigRequest.self, "iris"))
            .message(Inference_ModelConfigResponse.self).config
        #expect(iris.maxBatchSize == 0)
        #expect(iris.input.first?.dims == [-1, 4])
    }

    @Test func statisticsAreRESTsNumbersAndCountAnInference() throws {
        let ask = modelRequest(Inference_ModelStatisticsRequest.self, "fraud", version: "1")
        let before = try harness.grpc(service + "ModelStatistics", ask).message(Inference_ModelStatisticsResponse.self)
        #expect(before.modelStats.count == 1)
        #expect(before.modelStats.first?.inferenceStats.success.count == 0)
        var call = Inference_ModelInferRequest()
        call.modelName = "fraud"
        call.modelVersion = "1"
        var input = Inference_ModelInferRequest.InferInputTensor()
        input.name = "input"
        input.datatype = "FP32"
        input.shape = [2, 20]
        input.contents.fp32Contents = Array(repeating: 0.25, count: 40)
        call.inputs = [input]
        #expect(try harness.grpc(service + "ModelInfer", call).response.status == 200)
        let after = try #require(try harness.grpc(service + "ModelStatistics", ask).message(Inference_ModelStatisticsResponse.self).modelStats.first)
        let rest = try #require((try harness.call("GET", "/v2/models/fraud/versions/1/stats").json?["model_stats"] as? [[String: Any]])?.first)
        let restStats = try #require(rest["inference_stats"] as? [String: [String: Int]])
        #expect(after.name == "fraud" && after.version == "1")
        #expect(after.inferenceStats.success.count == 1)
        #expect(after.inferenceCount == 2 && after.executionCount == 1)
        #expect(Int(after.inferenceCount) == rest["inference_count"] as? Int)
        #expect(Int(after.lastInference) == rest["last_inference"] as? Int)
        for (name, duration) in [
            ("success", after.inferenceStats.success), ("fail", after.inferenceStats.fail), ("queue", after.inferenceStats.queue),
            ("compute_infer", after.inferenceStats.computeInfer),
        ] {
            #expect(Int(duration.count) == restStats[name]?["count"], "\(name)")
            #expect(Int(duration.ns) == restStats[name]?["ns"], "\(name)")
        }
        #expect(after.inferenceStats.success.ns > 0)
        // One execution of two rows, in Triton's batch_stats shape, as REST reports it.
        #expect(after.batchStats.map(\.batchSize) == [2])
        let batch = try #require(after.batchStats.first)
        #expect(batch.computeInfer.count == 1 && batch.computeInput.count == 1 && batch.computeOutput.count == 1)
        #expect(batch.computeInfer.ns > 0 && batch.computeInput.ns == 0)
        let restBatch = try #require((rest["batch_stats"] as? [[String: Any]])?.first)
        #expect(restBatch["batch_size"] as? Int == 2)
        #expect((restBatch["compute_infer"] as? [String: Int])?["ns"] == Int(batch.computeInfer.ns))
        // No name: every loaded version of every model, as GET /v2/models/stats.
        let all = try harness.grpc(service + "ModelStatistics", Inference_ModelStatisticsRequest()).message(Inference_ModelStatisticsResponse.self)
        let restAll = try harness.call("GET", "/v2/models/stats").json?["model_stats"] as? [[String: Any]]
        #expect(all.modelStats.map { "\($0.name)/\($0.version)" } == restAll?.map { "\($0["name"] ?? "")/\($0["version"] ?? "")" })
    }

    @Test func healthCheckFollowsReadinessAndRefusesUnknownServices() throws {
        for name in ["", "inference.GRPCInferenceService"] {
            var ask = Grpc_Health_V1_HealthCheckRequest()
            ask.service = name
            #expect(try harness.grpc("grpc.health.v1.Health/Check", ask).message(Grpc_Health_V1_HealthCheckResponse.self).status == .serving)
        }
        var other = Grpc_Health_V1_HealthCheckRequest()
        other.service = "nope.Service"
        let unknown = try harness.grpc("grpc.health.v1.Health/Check", other)
        #expect(unknown.code == .notFound)
        #expect(unknown.error?.message == "unknown service 'nope.Service'")
    }
}
