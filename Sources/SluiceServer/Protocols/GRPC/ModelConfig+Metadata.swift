import SluiceCore

extension Inference_ModelConfig {
    /// The minimal config Sluice answers (Triton's `ModelConfig`), from the model's metadata:
    /// its name, its backend as both `platform` and `backend`, `max_batch_size` as `model.yaml`
    /// declares it (0 when it does not), and its inputs and outputs with `TYPE_*` datatypes.
    /// As in Triton, when `max_batch_size` is above 0 the `dims` leave out the leading batch
    /// dimension of the signature.
    init(_ metadata: ModelMetadata) {
        self.init()
        name = metadata.name
        platform = metadata.platform
        backend = metadata.platform
        let batch = metadata.maxBatchSize ?? 0
        maxBatchSize = Int32(clamping: batch)
        func tensors<T: ConfigTensor>(_ specs: [TensorSpec]) -> [T] {
            specs.map { spec in
                var tensor = T()
                tensor.name = spec.name
                tensor.dataType = Inference_DataType(spec.datatype)
                let dims = batch > 0 && spec.shape.first == -1 ? spec.shape.dropFirst() : spec.shape[...]
                tensor.dims = dims.map { Int64($0) }
                return tensor
            }
        }
        input = tensors(metadata.inputs)
        output = tensors(metadata.outputs)
        if !metadata.notes.isEmpty {
            var note = Inference_ModelParameter()
            note.stringValue = metadata.notes.joined(separator: "; ")
            parameters["notes"] = note
        }
    }
}

/// What a derived config fills in of a `ModelInput` or a `ModelOutput`.
protocol ConfigTensor {
    init()
    var name: String { get set }
    var dataType: Inference_DataType { get set }
    var dims: [Int64] { get set }
}

extension Inference_ModelInput: ConfigTensor {}
extension Inference_ModelOutput: ConfigTensor {}
