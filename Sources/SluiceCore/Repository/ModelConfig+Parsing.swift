import Yams

extension ModelConfig {
    /// The keys a model-level `model.yaml` may hold; anything else is a typo and refused.
    static let knownKeys = [
        "backend", "inputs", "outputs", "version_policy", "labels", "max_batch_size", "dynamic_batching",
        "instances", "max_queue", "warmup", "threads_per_inference",
    ]

    /// Parses a model-level `model.yaml`. `file` is only used in errors (the path as the user
    /// would type it); `backends` are the names `backend:` may take (the registry's, in its
    /// order), and `options` each backend's `BackendFactory.options` (a backend missing there
    /// takes none). An empty document gives the defaults.
    ///
    /// Called by the repository scanner, once per model per scan, off the event loops.
    /// Throws the first problem found; nothing is partially applied.
    package static func parse(
        yaml: String, file: String, backends: [String], options: [String: [String: [String]]] = [:]
    ) throws(ConfigError) -> ModelConfig {
        let reader = ConfigReader(file: file)
        guard let root = try reader.compose(yaml) else { return ModelConfig() }
        let keys = try reader.mapping(root, at: "", allowed: knownKeys + backends)
        var config = ModelConfig()
        for name in backends {
            guard let node = keys[name] else { continue }
            config.backendOptions[name] = try reader.backendOptions(node, at: name, allowed: options[name] ?? [:])
        }
        config.backend = try keys["backend"].map { node throws(ConfigError) in try reader.backend(node, names: backends) }
        config.inputs = try keys["inputs"].map { node throws(ConfigError) in
            try reader.tensorSpecs(node, at: "inputs", role: "input")
        } ?? []
        config.outputs = try keys["outputs"].map { node throws(ConfigError) in
            try reader.tensorSpecs(node, at: "outputs", role: "output")
        } ?? []
        if let node = keys["version_policy"] { config.versionPolicy = try reader.versionPolicy(node) }
        if let node = keys["labels"] { config.labels = try reader.labels(node) }
        if let node = keys["max_batch_size"] {
            config.maxBatchSize = try reader.positiveInt(node, at: "max_batch_size")
        }
        if let node = keys["dynamic_batching"] {
            // Without max_batch_size (Triton's 0) nothing could be merged: refused, not ignored.
            guard config.maxBatchSize != nil else {
                throw reader.fail("dynamic_batching", "needs max_batch_size (the most rows one merged call may hold)")
            }
            config.dynamicBatching = try reader.dynamicBatching(node, maxBatchSize: config.maxBatchSize)
        }
        if let node = keys["instances"] {
            config.instances = try reader.value(node, at: "instances", as: .int(in: ModelConfig.instancesRange))
        }
        if let node = keys["max_queue"] {
            config.maxQueue = try reader.value(node, at: "max_queue", as: .int(in: ModelConfig.maxQueueRange))
            // A queue forms only in front of a batched or instance-bounded version; accepting
            // the key anywhere else would promise a bound nothing enforces.
            guard config.queuesRequests else {
                throw reader.fail("max_queue", "needs instances, or dynamic_batching with max_batch_size (without them no request waits)")
            }
        }
        if let node = keys["warmup"] { config.warmup = try reader.bool(node, at: "warmup") }
        if let node = keys["threads_per_inference"] {
            config.threadsPerInference = try reader.value(
                node, at: "threads_per_inference", as: .int(in: ModelConfig.threadsPerInferenceRange))
        }
        return config
    }

    /// Reads and parses the `model.yaml` at `path` (which is also what errors name).
    package static func parse(
        contentsOf path: String, backends: [String], options: [String: [String: [String]]] = [:]
    ) throws(ConfigError) -> ModelConfig {
        try parse(yaml: ConfigReader.read(path), file: path, backends: backends, options: options)
    }
}

extension SignatureOverride {
    static let knownKeys = ["backend", "inputs", "outputs"]

    /// Parses a version folder's `model.yaml`. Model-wide keys get a reason that says where they
    /// belong, since "unknown key" would be misleading for a key that is valid one level up.
    ///
    /// Called by the repository scanner, once per version folder that has the file; `backends`
    /// as for `ModelConfig.parse`.
    package static func parse(yaml: String, file: String, backends: [String]) throws(ConfigError) -> SignatureOverride {
        let reader = ConfigReader(file: file)
        guard let root = try reader.compose(yaml) else { return SignatureOverride() }
        if case .mapping(let mapping) = root {
            for key in mapping.keys {
                if let name = key.string, ModelConfig.knownKeys.contains(name) || backends.contains(name),
                    !knownKeys.contains(name)
                {
                    throw reader.fail(name, "belongs in the model's own model.yaml, not a version's")
                }
            }
        }
        let keys = try reader.mapping(root, at: "", allowed: knownKeys)
        var result = SignatureOverride()
        result.backend = try keys["backend"].map { node throws(ConfigError) in try reader.backend(node, names: backends) }
        result.inputs = try keys["inputs"].map { node throws(ConfigError) in
            try reader.tensorSpecs(node, at: "inputs", role: "input")
        }
        result.outputs = try keys["outputs"].map { node throws(ConfigError) in
            try reader.tensorSpecs(node, at: "outputs", role: "output")
        }
        return result
    }

    package static func parse(contentsOf path: String, backends: [String]) throws(ConfigError) -> SignatureOverride {
        try parse(yaml: ConfigReader.read(path), file: path, backends: backends)
    }
}

extension ConfigReader {
    func backend(_ node: Node, names: [String]) throws(ConfigError) -> String {
        guard let text = try? string(node, at: "backend"), names.contains(text) else {
            throw fail("backend", "must be one of \(names.joined(separator: ", "))")
        }
        return text
    }

    /// A backend's section: each key one of `allowed`'s, each value one of the values it lists.
    func backendOptions(_ node: Node, at path: String, allowed: [String: [String]]) throws(ConfigError) -> [String: String] {
        guard !allowed.isEmpty else { throw fail(path, "backend \(path) takes no options") }
        var result: [String: String] = [:]
        for (key, value) in try mapping(node, at: path, allowed: allowed.keys.sorted()) {
            let keyPath = Self.join(path, key)
            let values = allowed[key] ?? []
            guard let text = Self.scalarText(value) ?? Self.boolValue(value).map(String.init), values.contains(text) else {
                throw fail(keyPath, "must be one of \(values.joined(separator: ", "))")
            }
            result[key] = text
        }
        return result
    }

    func tensorSpecs(_ node: Node, at path: String, role: String) throws(ConfigError) -> [TensorSpec] {
        var specs: [TensorSpec] = []
        for (i, item) in try sequence(node, at: path).enumerated() {
            let itemPath = Self.index(path, i)
            let keys = try mapping(item, at: itemPath, allowed: ["name", "datatype", "shape"])
            guard let nameNode = keys["name"] else { throw fail(itemPath, "needs a name") }
            guard let typeNode = keys["datatype"] else { throw fail(itemPath, "needs a datatype") }
            guard let shapeNode = keys["shape"] else { throw fail(itemPath, "needs a shape") }
            let name = try string(nameNode, at: Self.join(itemPath, "name"))
            guard !name.isEmpty else { throw fail(Self.join(itemPath, "name"), "must not be empty") }
            guard !specs.contains(where: { $0.name == name }) else {
                throw fail(Self.join(itemPath, "name"), "duplicate \(role) name '\(name)'")
            }
            let typePath = Self.join(itemPath, "datatype")
            let typeText = try string(typeNode, at: typePath)
            guard let datatype = DataType(rawValue: typeText) else {
                let names = DataType.allCases.map(\.rawValue).joined(separator: ", ")
                throw fail(typePath, "'\(typeText)' is not a datatype (expected one of: \(names))")
            }
            let shapePath = Self.join(itemPath, "shape")
            var shape: [Int] = []
            for (j, dim) in try sequence(shapeNode, at: shapePath).enumerated() {
                let dimPath = Self.index(shapePath, j)
                let value = try int(dim, at: dimPath, "must be an integer >= -1 (-1 means any size)")
                guard value >= -1 else { throw fail(dimPath, "must be an integer >= -1 (-1 means any size)") }
                shape.append(value)
            }
            specs.append(TensorSpec(name: name, datatype: datatype, shape: shape))
        }
        return specs
    }

    func versionPolicy(_ node: Node) throws(ConfigError) -> VersionPolicy {
        let path = "version_policy"
        let keys = try mapping(node, at: path, allowed: ["latest", "all", "specific"])
        guard keys.count == 1, let (key, value) = keys.first else {
            throw fail(path, "must have exactly one of latest, all, specific")
        }
        let keyPath = Self.join(path, key)
        switch key {
        case "latest":
            return .latest(try positiveInt(value, at: keyPath))
        case "all":
            // `{all: false}` has no meaning of its own; refusing it beats guessing.
            guard try bool(value, at: keyPath) else {
                throw fail(keyPath, "must be true (leave version_policy out for the default, latest 1)")
            }
            return .all
        default:
            var versions: [Int] = []
            for (i, item) in try sequence(value, at: keyPath).enumerated() {
                versions.append(try positiveInt(item, at: Self.index(keyPath, i)))
            }
            guard !versions.isEmpty else { throw fail(keyPath, "must list at least one version") }
            return .specific(versions)
        }
    }

    func labels(_ node: Node) throws(ConfigError) -> [String: Int] {
        let keys = try mapping(node, at: "labels", allowed: nil)
        var labels: [String: Int] = [:]
        for (name, value) in keys.sorted(by: { $0.key < $1.key }) {
            let path = Self.join("labels", name)
            guard RepositoryScanner.isValidName(name) else {
                throw fail(path, "label names must match [a-zA-Z0-9_.-]{1,128}")
            }
            labels[name] = try positiveInt(value, at: path)
        }
        return labels
    }

    func dynamicBatching(_ node: Node, maxBatchSize: Int?) throws(ConfigError) -> DynamicBatching {
        let path = "dynamic_batching"
        let keys = try mapping(node, at: path, allowed: ["max_queue_delay_us", "preferred_batch_sizes", "preserve_ordering"])
        var result = DynamicBatching()
        if let value = keys["max_queue_delay_us"] {
            let keyPath = Self.join(path, "max_queue_delay_us")
            result.maxQueueDelayMicroseconds = try int(value, at: keyPath, "must be a non-negative integer")
            guard result.maxQueueDelayMicroseconds >= 0 else {
                throw fail(keyPath, "must be a non-negative integer")
            }
        }
        if let value = keys["preferred_batch_sizes"] {
            let keyPath = Self.join(path, "preferred_batch_sizes")
            for (i, item) in try sequence(value, at: keyPath).enumerated() {
                let size = try positiveInt(item, at: Self.index(keyPath, i))
                if let maxBatchSize, size > maxBatchSize {
                    throw fail(Self.index(keyPath, i), "must not exceed max_batch_size (\(maxBatchSize))")
                }
                result.preferredBatchSizes.append(size)
            }
            result.preferredBatchSizes = Set(result.preferredBatchSizes).sorted()
        }
        if let value = keys["preserve_ordering"] {
            result.preserveOrdering = try bool(value, at: Self.join(path, "preserve_ordering"))
        }
        return result
    }
}
