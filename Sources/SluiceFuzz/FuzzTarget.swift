/// What the fuzzers feed bytes to: the parsers a client or a model file reaches (issue #14,
/// "Keep them fixed"). One entry per target, shared by the libFuzzer harness (`sluice-fuzz`,
/// built with `--sanitize=fuzzer`) and the test that replays the committed corpus and every
/// past crash (`fuzz/corpus/<name>`, `fuzz/regressions/<name>`) in `make test`.
///
/// An entry accepts any bytes. Refusing them with an error is the expected outcome; a trap, a
/// stack overflow, a hang or a broken round trip (a `precondition` here) is a finding.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// `HTTPParser`: the bytes fed whole and in small pieces must give the same requests.
    case http1
    /// `V2Request.decode` (JSON and binary tensor data), then `V2ResponseEncoder` on the tensors.
    case v2
    /// `V1Request.decode` against one of a few input signatures, then `V1ResponseEncoder`.
    case v1
    /// `ModelInferRequestDecoder` (a gRPC `ModelInfer` message), then `ModelInferResponseEncoder`.
    case grpcInfer = "grpc-infer"
    /// `ModelConfig.parse` and `SignatureOverride.parse` (a model's and a version's model.yaml).
    case modelYAML = "model-yaml"
    /// `RouteConfig.parseFile` and `parseBody`; what parses must survive a write and a re-read.
    case routesYAML = "routes-yaml"
    /// The XGBoost loader (JSON or UBJSON, chosen by content), then the warm-up request.
    case xgboost
    /// The LightGBM text loader, then the warm-up request.
    case lightgbm
    /// The ONNX loader and graph compiler, then the warm-up request.
    case onnx

    /// Runs one input. Called once per input by libFuzzer (one thread) or by the replay test.
    package func run(_ bytes: [UInt8]) {
        switch self {
        case .http1: Self.parseHTTP1(bytes)
        case .v2: Self.decodeV2(bytes)
        case .v1: Self.decodeV1(bytes)
        case .grpcInfer: Self.decodeGRPCInfer(bytes)
        case .modelYAML: Self.parseModelYAML(bytes)
        case .routesYAML: Self.parseRoutesYAML(bytes)
        case .xgboost: Self.loadModel(bytes, backend: "xgboost", fileName: "model.json")
        case .lightgbm: Self.loadModel(bytes, backend: "lightgbm", fileName: "model.txt")
        case .onnx: Self.loadModel(bytes, backend: "onnx", fileName: "model.onnx")
        }
    }
}
