import SluiceCore

/// Builds a kernel for one node at load; throws a load failure naming the node.
typealias KernelFactory = (NodeInfo) throws(ServingError) -> Compiled

/// The operators this build runs, by domain. Looked up once per node at load.
package enum Operators {
    /// The default domain's (ai.onnx) operators, for the README and the conformance test.
    package static let onnx: [String] = [
        "Abs", "Add", "And", "ArgMax", "ArgMin", "AveragePool", "BatchNormalization", "Cast", "Ceil", "Clip",
        "Concat", "Constant", "ConstantOfShape", "Conv", "Div", "Dropout", "Elu", "Equal", "Erf", "Exp", "Expand",
        "Flatten", "Floor", "Gather", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "Greater", "GreaterOrEqual",
        "HardSigmoid", "Identity", "LeakyRelu", "Less", "LessOrEqual", "Log", "LogSoftmax", "MatMul", "Max",
        "MaxPool", "Mean", "Min", "Mul", "Neg", "Not", "Or", "Pow", "PRelu", "Reciprocal", "ReduceMean",
        "ReduceSum", "Relu", "Reshape", "Selu", "Shape", "Sigmoid", "Slice", "Softmax", "Softplus", "Sqrt",
        "Squeeze", "StringNormalizer", "Sub", "Sum", "Tanh", "TfIdfVectorizer", "Transpose", "Unsqueeze", "Where",
        "Xor",
    ]
    /// The ai.onnx.ml operators (ZipMap is refused at load with the export option that avoids it).
    package static let ml: [String] = [
        "ArrayFeatureExtractor", "CategoryMapper", "LabelEncoder", "LinearClassifier", "LinearRegressor",
        "Normalizer", "OneHotEncoder", "Scaler", "TreeEnsembleClassifier", "TreeEnsembleRegressor",
    ]

    /// The com.microsoft operators (those skl2onnx emits for text).
    package static let microsoft: [String] = ["Tokenizer"]

    static func factory(op: String, domain: String) -> KernelFactory? {
        if domain == "com.microsoft" {
            guard op == "Tokenizer" else { return nil }
            return TokenizerKernel.make
        }
        if domain == "ai.onnx.ml" {
            switch op {
            case "ArrayFeatureExtractor": return ArrayFeatureExtractorKernel.make
            case "CategoryMapper", "LabelEncoder": return LabelEncoderKernel.make
            case "LinearClassifier", "LinearRegressor": return LinearKernel.make
            case "Normalizer": return NormalizerKernel.make
            case "OneHotEncoder": return OneHotEncoderKernel.make
            case "Scaler": return ScalerKernel.make
            case "TreeEnsembleClassifier", "TreeEnsembleRegressor": return TreeEnsembleKernel.make
            case "ZipMap": return ZipMapRefusal.make
            default: return nil
            }
        }
        guard domain.isEmpty else { return nil }
        switch op {
        case "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Erf", "Abs", "Neg", "Floor", "Ceil",
            "Reciprocal", "Softplus", "Elu", "Selu", "HardSigmoid":
            return UnaryKernel.make
        case "Min", "Max", "Sum", "Mean": return VariadicKernel.make
        case "PRelu": return PReluKernel.make
        case "Not", "And", "Or", "Xor": return LogicalKernel.make
        case "Clip": return ClipKernel.make
        case "Add", "Sub", "Mul", "Div": return ArithmeticKernel.make
        case "Pow": return PowKernel.make
        case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual": return CompareKernel.make
        case "Where": return WhereKernel.make
        case "Identity": return CopyKernel.makeIdentity
        case "Dropout": return CopyKernel.makeDropout
        case "Cast": return CastKernel.make
        case "Constant": return ConstantKernel.make
        case "ConstantOfShape": return ConstantOfShapeKernel.make
        case "Shape": return ShapeKernel.make
        case "Reshape", "Flatten", "Squeeze", "Unsqueeze": return ReshapeKernel.make
        case "Transpose": return TransposeKernel.make
        case "Concat": return ConcatKernel.make
        case "Gather": return GatherKernel.make
        case "Slice": return SliceKernel.make
        case "StringNormalizer": return StringNormalizerKernel.make
        case "TfIdfVectorizer": return TfIdfVectorizerKernel.make
        case "Expand": return ExpandKernel.make
        case "Gemm": return GemmKernel.make
        case "MatMul": return MatMulKernel.make
        case "Conv": return ConvKernel.make
        case "MaxPool", "AveragePool": return PoolKernel.make
        case "GlobalAveragePool", "GlobalMaxPool": return GlobalPoolKernel.make
        case "BatchNormalization": return BatchNormKernel.make
        case "Softmax", "LogSoftmax": return SoftmaxKernel.make
        case "ReduceMean", "ReduceSum": return ReduceKernel.make
        case "ArgMax", "ArgMin": return ArgMaxKernel.make
        default: return nil
        }
    }
}
