package import SluiceCore
import SluiceJSON

/// A KServe V1 / TF-Serving REST `:predict` body, decoded against the inputs of the version it
/// will run on (V1 bodies carry neither names nor shapes for a single input, nor datatypes).
///
/// Two forms, as TF Serving defines them:
/// - row (`"instances"`): a list with one entry per row; for a model with one input an entry is
///   that row's value, for several inputs an object naming them (`{"a": …, "b": …}`);
/// - columnar (`"inputs"`): the whole batch; for one input the tensor itself, for several an
///   object naming each input's tensor.
///
/// Made once per request on the event loop that read the body (a worker for a large one). Every
/// fault is `ServingError.invalidInput` naming what is wrong. Package-visible for the V1 fuzzer
/// (`SluiceFuzz`).
package struct V1Request: Sendable {
    /// Which of the two forms the body used; the answer takes the same.
    package enum Form: Sendable { case rows, columns }

    package var form: Form
    package var request: InferenceRequest

    /// Decodes `body` against `specs`, the inputs of the version it will run on; `model` names
    /// it in errors.
    package static func decode(_ body: [UInt8], inputs specs: [TensorSpec], model: String) throws(ServingError) -> V1Request {
        let result = body.withUnsafeBytes { raw in
            Result { () throws(ServingError) -> V1Request in try decode(raw, inputs: specs, model: model) }
        }
        return try result.get()
    }

    static func decode(_ body: UnsafeRawBufferPointer, inputs specs: [TensorSpec], model: String) throws(ServingError) -> V1Request {
        do throws(JSONError) {
            var r = JSONReader(body)
            var decoded: V1Request?
            try r.beginObject()
            while let key = try r.nextRawKey() {
                switch key {
                case "instances", "inputs":
                    guard decoded == nil else {
                        throw JSONError("request has both 'instances' and 'inputs' (or one of them twice); send one")
                    }
                    let rows = key.equals("instances")
                    let tensors = rows ? try readInstances(&r, specs, model: model) : try readColumns(&r, specs, model: model)
                    decoded = V1Request(form: rows ? .rows : .columns, request: InferenceRequest(id: nil, inputs: tensors, outputs: []))
                default:
                    // `signature_name` and anything else: Sluice models have one signature.
                    try r.skipValue()
                }
            }
            try r.finish()
            guard let decoded else { throw JSONError("request has neither 'instances' (row form) nor 'inputs' (columnar form)") }
            return decoded
        } catch {
            throw .invalidInput(error.description)
        }
    }

    /// Row form: stacks the rows into one tensor per input, shape `[rows] + row shape`.
    private static func readInstances(_ r: inout JSONReader, _ specs: [TensorSpec], model: String) throws(JSONError) -> [Tensor] {
        guard r.peek() == UInt8(ascii: "[") else { throw r.mismatch(expecting: "an array of rows").prefixed("'instances'") }
        var probe = r
        try probe.beginArray()
        let objects = probe.peek() == UInt8(ascii: "{")
        if !objects {
            let spec = try onlyInput(specs, model: model, form: "instances")
            let (shape, data) = try r.field("instances", of: "request") { (r: inout JSONReader) throws(JSONError) in
                try r.readNestedTensorData(spec.datatype)
            }
            return [try tensor(spec.name, shape: shape, data: data)]
        }
        // One object per row, naming the inputs.
        var rows: [[TensorData]] = Array(repeating: [], count: specs.count)
        var rowShapes: [[Int]?] = Array(repeating: nil, count: specs.count)
        var count = 0
        try r.beginArray()
        while try r.nextElement() {
            guard r.peek() == UInt8(ascii: "{") else {
                throw JSONError("'instances' mixes objects and other values: row \(count) is not an object")
            }
            var seen = Array(repeating: false, count: specs.count)
            try r.beginObject()
            while let name = try r.nextKey() {
                guard let i = specs.firstIndex(where: { $0.name == name }) else {
                    throw JSONError("row \(count) names input '\(name)', but model '\(model)' expects \(describe(specs))")
                }
                guard !seen[i] else { throw JSONError("row \(count) names input '\(name)' twice") }
                seen[i] = true
                let (shape, data) = try r.field(name, of: "row \(count)") { (r: inout JSONReader) throws(JSONError) in
                    try r.readNestedTensorData(specs[i].datatype)
                }
                if let expected = rowShapes[i], expected != shape {
                    throw JSONError("row \(count) input '\(name)' has shape \(shape), earlier rows \(expected)")
                }
                rowShapes[i] = shape
                rows[i].append(data)
            }
            if let missing = seen.firstIndex(of: false) {
                throw JSONError("row \(count) has no input '\(specs[missing].name)'")
            }
            count += 1
        }
        var tensors: [Tensor] = []
        for (i, spec) in specs.enumerated() {
            let data = TensorData.concatenating(rows[i], datatype: spec.datatype)
            tensors.append(try tensor(spec.name, shape: [count] + (rowShapes[i] ?? []), data: data))
        }
        return tensors
    }

    /// Columnar form: the tensor itself for one input, else an object of named tensors.
    private static func readColumns(_ r: inout JSONReader, _ specs: [TensorSpec], model: String) throws(JSONError) -> [Tensor] {
        guard r.peek() == UInt8(ascii: "{") else {
            let spec = try onlyInput(specs, model: model, form: "inputs")
            let (shape, data) = try r.field("inputs", of: "request") { (r: inout JSONReader) throws(JSONError) in
                try r.readNestedTensorData(spec.datatype)
            }
            return [try tensor(spec.name, shape: shape, data: data)]
        }
        var tensors: [Tensor] = []
        try r.beginObject()
        while let name = try r.nextKey() {
            guard let spec = specs.first(where: { $0.name == name }) else {
                throw JSONError("'inputs' names input '\(name)', but model '\(model)' expects \(describe(specs))")
            }
            guard !tensors.contains(where: { $0.name == name }) else { throw JSONError("'inputs' names input '\(name)' twice") }
            let (shape, data) = try r.field(name, of: "'inputs'") { (r: inout JSONReader) throws(JSONError) in
                try r.readNestedTensorData(spec.datatype)
            }
            tensors.append(try tensor(name, shape: shape, data: data))
        }
        return tensors
    }

    private static func onlyInput(_ specs: [TensorSpec], model: String, form: String) throws(JSONError) -> TensorSpec {
        guard specs.count == 1, let spec = specs.first else {
            throw JSONError("model '\(model)' has \(specs.count) inputs (\(describe(specs))); send '\(form)' as objects naming each input")
        }
        return spec
    }

    private static func tensor(_ name: String, shape: [Int], data: TensorData) throws(JSONError) -> Tensor {
        do {
            return try Tensor(name: name, shape: shape, data: data)
        } catch {
            throw JSONError("input '\(name)': \(error)")
        }
    }

    private static func describe(_ specs: [TensorSpec]) -> String {
        specs.map { "'\($0.name)'" }.joined(separator: ", ")
    }
}
