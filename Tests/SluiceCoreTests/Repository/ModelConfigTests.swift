import Testing
@testable import SluiceCore

private let file = "models/fraud/model.yaml"

@Test func fullConfigParsesEveryKey() throws {
    let yaml = """
        backend: xgboost
        inputs:
          - {name: features, datatype: FP32, shape: [-1, 20]}
        outputs:
          - {name: probability, datatype: FP32, shape: [-1, 1]}
        version_policy: {latest: 2}
        labels: {stable: 3, canary: 4}
        max_batch_size: 256
        dynamic_batching: {max_queue_delay_us: 200, preferred_batch_sizes: [64, 16], preserve_ordering: true}
        instances: 2
        max_queue: 64
        warmup: false
        threads_per_inference: 2
        """
    let config = try ModelConfig.parse(yaml: yaml, file: file, backends: standardBackendNames)
    #expect(config.backend == "xgboost")
    #expect(config.inputs == [TensorSpec(name: "features", datatype: .fp32, shape: [-1, 20])])
    #expect(config.outputs == [TensorSpec(name: "probability", datatype: .fp32, shape: [-1, 1])])
    #expect(config.versionPolicy == .latest(2))
    #expect(config.labels == ["stable": 3, "canary": 4])
    #expect(config.maxBatchSize == 256)
    #expect(config.dynamicBatching == DynamicBatching(
        maxQueueDelayMicroseconds: 200, preferredBatchSizes: [16, 64], preserveOrdering: true))
    #expect(config.instances == 2)
    #expect(config.maxQueue == 64)
    #expect(config.queueCapacity == 64)
    #expect(config.warmup == false)
    #expect(config.threadsPerInference == 2)
}

/// Unset, the server's `scheduling.threads_per_inference` decides (`ModelManager`).
@Test(arguments: [("", nil), ("threads_per_inference: 1", 1), ("threads_per_inference: 64", 64)] as [(String, Int?)])
func threadsPerInferenceIsUnsetByDefaultAndTakesUpToSixtyFour(yaml: String, threads: Int?) throws {
    #expect(try ModelConfig.parse(yaml: yaml, file: file, backends: standardBackendNames).threadsPerInference == threads)
}

@Test func batchingDefaultsAreTritons() throws {
    let config = try ModelConfig.parse(yaml: "max_batch_size: 8\ndynamic_batching: {}", file: file, backends: standardBackendNames)
    #expect(config.dynamicBatching == DynamicBatching(maxQueueDelayMicroseconds: 0, preferredBatchSizes: [], preserveOrdering: false))
    #expect(config.instances == nil)
    #expect(config.maxQueue == nil)
    #expect(config.queueCapacity == 1024)
}

@Test(arguments: [
    // yaml, isBatched, queuesRequests, the most rows a request may carry
    ("", false, false, nil as Int?),
    ("max_batch_size: 8", false, false, 8),
    ("max_batch_size: 8\ndynamic_batching: {}", true, true, nil),
    ("instances: 2", false, true, nil),
    ("max_batch_size: 8\ninstances: 2\nmax_queue: 5", false, true, 8),
])
func batchingNeedsBothKeysAndAQueueNeedsBatchingOrInstances(yaml: String, batched: Bool, queued: Bool, rowLimit: Int?) throws {
    let config = try ModelConfig.parse(yaml: yaml, file: file, backends: standardBackendNames)
    #expect(config.isBatched == batched)
    #expect(config.queuesRequests == queued)
    #expect(config.requestRowLimit == rowLimit)
}

@Test(arguments: ["", "# only a comment\n", "---\n"])
func emptyConfigGivesTheDefaults(yaml: String) throws {
    #expect(try ModelConfig.parse(yaml: yaml, file: file, backends: standardBackendNames) == ModelConfig())
    #expect(ModelConfig().warmup == true)
}

@Test(arguments: [
    ("version_policy: {all: true}", VersionPolicy.all),
    ("version_policy: {specific: [1, 3]}", .specific([1, 3])),
    ("version_policy:\n  latest: 3", .latest(3)),
])
func versionPolicyParsesEachForm(yaml: String, policy: VersionPolicy) throws {
    #expect(try ModelConfig.parse(yaml: yaml, file: file, backends: standardBackendNames).versionPolicy == policy)
}

@Test func keyWithoutValueMeansTheDefault() throws {
    let config = try ModelConfig.parse(yaml: "backend:\nwarmup: null", file: file, backends: standardBackendNames)
    #expect(config.backend == nil)
    #expect(config.warmup == true)
}

@Test func integerInputNamesAreTakenAsText() throws {
    let config = try ModelConfig.parse(yaml: "inputs: [{name: 0, datatype: INT64, shape: [-1]}]", file: file, backends: standardBackendNames)
    #expect(config.inputs.first?.name == "0")
}

@Test(arguments: [
    ("version_policy: {latest: 0}", "version_policy.latest: must be a positive integer"),
    ("version_policy: {latest: \"2\"}", "version_policy.latest: must be a positive integer"),
    ("version_policy: {latest: 1.5}", "version_policy.latest: must be a positive integer"),
    ("version_policy: {latest: 1, all: true}", "version_policy: must have exactly one of latest, all, specific"),
    ("version_policy: {}", "version_policy: must have exactly one of latest, all, specific"),
    ("version_policy: {all: false}",
     "version_policy.all: must be true (leave version_policy out for the default, latest 1)"),
    ("version_policy: {specific: []}", "version_policy.specific: must list at least one version"),
    ("version_policy: {specific: [1, 0]}", "version_policy.specific[1]: must be a positive integer"),
    ("version_policy: {newest: 1}", "version_policy.newest: unknown key (expected one of: latest, all, specific)"),
    ("version_policy: latest", "version_policy: must be a mapping"),
    ("version_polcy: {latest: 1}",
     "version_polcy: unknown key (expected one of: backend, inputs, outputs, version_policy, labels, "
        + "max_batch_size, dynamic_batching, instances, max_queue, warmup, threads_per_inference, xgboost, lightgbm, onnx)"),
    ("xgboost: {iterations: some}", "xgboost.iterations: must be one of best, all"),
    ("xgboost: {iteration_range: all}", "xgboost.iteration_range: unknown key (expected one of: iterations)"),
    ("xgboost: all", "xgboost: must be a mapping"),
    ("onnx: {iterations: all}", "onnx: backend onnx takes no options"),
    ("backend: tensorflow", "backend: must be one of xgboost, lightgbm, onnx"),
    ("backend: [onnx]", "backend: must be one of xgboost, lightgbm, onnx"),
    ("inputs: {name: x}", "inputs: must be a list"),
    ("inputs: [features]", "inputs[0]: must be a mapping"),
    ("inputs: [{name: x, shape: [1]}]", "inputs[0]: needs a datatype"),
    ("inputs: [{datatype: FP32, shape: [1]}]", "inputs[0]: needs a name"),
    ("inputs: [{name: x, datatype: FP32}]", "inputs[0]: needs a shape"),
    ("inputs: [{name: x, datatype: FP32, shape: [1], dtype: FP32}]",
     "inputs[0].dtype: unknown key (expected one of: name, datatype, shape)"),
    ("inputs: [{name: x, datatype: FP33, shape: [1]}]",
     "inputs[0].datatype: 'FP33' is not a datatype (expected one of: BOOL, UINT8, UINT16, UINT32, UINT64, "
        + "INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES)"),
    ("outputs: [{name: y, datatype: FP32, shape: [-2, 1]}]",
     "outputs[0].shape[0]: must be an integer >= -1 (-1 means any size)"),
    ("outputs: [{name: y, datatype: FP32, shape: [-1, x]}]",
     "outputs[0].shape[1]: must be an integer >= -1 (-1 means any size)"),
    ("outputs: [{name: y, datatype: FP32, shape: 3}]", "outputs[0].shape: must be a list"),
    ("inputs: [{name: x, datatype: FP32, shape: [1]}, {name: x, datatype: FP32, shape: [2]}]",
     "inputs[1].name: duplicate input name 'x'"),
    ("labels: {stable: x}", "labels.stable: must be a positive integer"),
    ("labels: {stable: -3}", "labels.stable: must be a positive integer"),
    ("labels: {\"a/b\": 1}", "labels.a/b: label names must match [a-zA-Z0-9_.-]{1,128}"),
    ("labels: [stable]", "labels: must be a mapping"),
    ("max_batch_size: 1.5", "max_batch_size: must be a positive integer"),
    ("max_batch_size: 0", "max_batch_size: must be a positive integer"),
    ("max_batch_size: 8\ndynamic_batching: {max_queue_delay_us: -1}", "dynamic_batching.max_queue_delay_us: must be a non-negative integer"),
    ("max_batch_size: 32\ndynamic_batching: {preferred_batch_sizes: [16, 64]}",
     "dynamic_batching.preferred_batch_sizes[1]: must not exceed max_batch_size (32)"),
    ("max_batch_size: 8\ndynamic_batching: {timeout: 5}",
     "dynamic_batching.timeout: unknown key (expected one of: max_queue_delay_us, preferred_batch_sizes, preserve_ordering)"),
    ("max_batch_size: 8\ndynamic_batching: {preserve_ordering: 1}", "dynamic_batching.preserve_ordering: must be true or false"),
    ("instances: 0", "instances: must be between 1 and 1024"),
    ("instances: 1025", "instances: must be between 1 and 1024"),
    ("instances: two", "instances: must be an integer"),
    ("instances: 2\nmax_queue: 0", "max_queue: must be between 1 and 1000000"),
    ("instances: 2\nmax_queue: 1000001", "max_queue: must be between 1 and 1000000"),
    ("max_queue: 10", "max_queue: needs instances, or dynamic_batching with max_batch_size (without them no request waits)"),
    ("dynamic_batching: {}", "dynamic_batching: needs max_batch_size (the most rows one merged call may hold)"),
    ("warmup: maybe", "warmup: must be true or false"),
    ("threads_per_inference: 0", "threads_per_inference: must be between 1 and 64"),
    ("threads_per_inference: -2", "threads_per_inference: must be between 1 and 64"),
    ("threads_per_inference: 65", "threads_per_inference: must be between 1 and 64"),
    ("threads_per_inference: 99999999999999999999999", "threads_per_inference: must be an integer"),
    ("threads_per_inference: two", "threads_per_inference: must be an integer"),
    ("threads_per_inference: 1.5", "threads_per_inference: must be an integer"),
    ("threads_per_inference: [2]", "threads_per_inference: must be an integer"),
    ("warmup: true\nwarmup: false", "warmup: duplicate key"),
])
func badConfigNamesTheKeyAndTheReason(yaml: String, message: String) {
    do throws(ConfigError) {
        _ = try ModelConfig.parse(
            yaml: yaml, file: file, backends: standardBackendNames, options: BackendRegistry.likeStandard().options)
        Issue.record("expected a ConfigError for: \(yaml)")
    } catch {
        #expect(error.description == "\(file): \(message)")
    }
}

@Test(arguments: ["- just\n- a list", "42"])
func configThatIsNotAMappingIsRefusedAsAWhole(yaml: String) {
    #expect(throws: ConfigError(file: file, keyPath: "", reason: "must be a mapping")) {
        try ModelConfig.parse(yaml: yaml, file: file, backends: standardBackendNames)
    }
}

@Test func invalidYAMLIsReportedOnTheFile() {
    do throws(ConfigError) {
        _ = try ModelConfig.parse(yaml: "inputs: [\nwarmup: true\n", file: file, backends: standardBackendNames)
        Issue.record("expected a ConfigError")
    } catch {
        #expect(error.keyPath == "")
        #expect(error.description == "\(file): is not valid YAML: line 3, column 1: did not find expected ',' or ']' "
            + "(while parsing a flow sequence at line 1, column 9)")
    }
}

@Test func errorDescriptionReadsFileKeyPathReason() {
    let error = ConfigError(file: file, keyPath: "version_policy.latest", reason: "must be a positive integer")
    #expect("\(error)" == "models/fraud/model.yaml: version_policy.latest: must be a positive integer")
}

@Test(arguments: [("xgboost: {iterations: all}\n", "all"), ("xgboost: {iterations: best}\n", "best")])
func backendSectionCarriesItsOptions(yaml: String, value: String) throws {
    let config = try ModelConfig.parse(
        yaml: yaml, file: file, backends: standardBackendNames, options: BackendRegistry.likeStandard().options)
    #expect(config.backendOptions == ["xgboost": ["iterations": value]])
    #expect(config.optionsRefusal(loadingWith: "xgboost") == nil)
    #expect(config.optionsRefusal(loadingWith: "onnx") == "model.yaml has options for backend xgboost, but this version loads with onnx")
}

@Test func aVersionsModelYAMLSaysABackendSectionBelongsToTheModel() {
    do throws(ConfigError) {
        _ = try SignatureOverride.parse(yaml: "xgboost: {iterations: all}", file: file, backends: standardBackendNames)
        Issue.record("expected a ConfigError")
    } catch {
        #expect(error.description == "\(file): xgboost: belongs in the model's own model.yaml, not a version's")
    }
}
