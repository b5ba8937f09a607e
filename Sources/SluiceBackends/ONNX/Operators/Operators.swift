import SluiceCore

/// Builds a kernel for one node at load; throws a load failure naming the node.
typealias KernelFactory = (NodeInfo) throws(ServingError) -> Compiled

/// The operators this build runs, by domain. Looked up once per node at load.
package enum Operators {
    /// The default domain's (ai.onnx) operators, for the README and the conformance test.
    package static let onnx: [String] = [
        "Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh", "AveragePool",
        "BatchNormalization", "Cast", "Ceil", "Celu", "Clip", "Concat", "Constant", "ConstantOfShape", "Conv",
        "ConvTranspose", "Cos", "Cosh", "CumSum", "DepthToSpace", "Div", "Dropout", "Einsum", "Elu", "Equal", "Erf",
        "Exp", "Expand", "Flatten", "Floor", "Gather", "GatherElements", "GatherND", "Gelu", "Gemm",
        "GlobalAveragePool", "GlobalMaxPool", "Greater", "GreaterOrEqual", "GRU", "Hardmax", "HardSigmoid",
        "HardSwish", "Identity", "InstanceNormalization", "IsInf", "IsNaN", "LayerNormalization", "LeakyRelu", "Less",
        "LessOrEqual", "Log", "LogSoftmax", "LSTM", "MatMul", "Max", "MaxPool", "Mean", "Min", "Mish", "Mod", "Mul",
        "Neg", "NonZero", "Not", "OneHot", "Or", "Pad", "Pow", "PRelu", "Range", "Reciprocal", "ReduceL1", "ReduceL2",
        "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum",
        "ReduceSumSquare", "Relu", "Reshape", "Resize", "RNN", "Round", "Scan", "Scatter", "ScatterElements",
        "ScatterND", "Selu", "Shape", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Size", "Slice", "Softmax",
        "Softplus", "Softsign", "SpaceToDepth", "Split", "Sqrt", "Squeeze", "StringNormalizer", "Sub", "Sum", "Tan",
        "Tanh", "TfIdfVectorizer", "ThresholdedRelu", "Tile", "TopK", "Transpose", "Trilu", "Unsqueeze", "Upsample",
        "Where", "Xor",
    ]
    /// The ai.onnx.ml operators (ZipMap serves the probabilities tensor that feeds it).
    package static let ml: [String] = [
        "ArrayFeatureExtractor", "Binarizer", "CategoryMapper", "Imputer", "LabelEncoder", "LinearClassifier",
        "LinearRegressor", "Normalizer", "OneHotEncoder", "Scaler", "SVMClassifier", "SVMRegressor",
        "TreeEnsembleClassifier", "TreeEnsembleRegressor", "ZipMap",
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
            case "Binarizer": return BinarizerKernel.make
            case "Imputer": return ImputerKernel.make
            case "CategoryMapper", "LabelEncoder": return LabelEncoderKernel.make
            case "LinearClassifier", "LinearRegressor": return LinearKernel.make
            case "Normalizer": return NormalizerKernel.make
            case "OneHotEncoder": return OneHotEncoderKernel.make
            case "Scaler": return ScalerKernel.make
            case "SVMClassifier": return SVMClassifierKernel.make
            case "SVMRegressor": return SVMRegressorKernel.make
            case "TreeEnsembleClassifier", "TreeEnsembleRegressor": return TreeEnsembleKernel.make
            case "ZipMap": return ZipMapKernel.make
            default: return nil
            }
        }
        guard domain.isEmpty else { return nil }
        switch op {
        case "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Erf", "Abs", "Neg", "Floor", "Ceil",
            "Reciprocal", "Softplus", "Elu", "Selu", "HardSigmoid", "Sign", "Round", "Softsign", "HardSwish",
            "Mish", "ThresholdedRelu", "Celu", "Shrink", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh",
            "Asinh", "Acosh", "Atanh", "Gelu":
            return UnaryKernel.make
        case "Min", "Max", "Sum", "Mean": return VariadicKernel.make
        case "PRelu": return PReluKernel.make
        case "Not", "And", "Or", "Xor": return LogicalKernel.make
        case "Clip": return ClipKernel.make
        case "Add", "Sub", "Mul", "Div": return ArithmeticKernel.make
        case "Pow": return PowKernel.make
        case "Mod": return ModKernel.make
        case "IsNaN", "IsInf": return ClassifyKernel.make
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
        case "Split": return SplitKernel.make
        case "Pad": return PadKernel.make
        case "Tile": return TileKernel.make
        case "Trilu": return TriluKernel.make
        case "Size": return SizeKernel.make
        case "GatherElements": return GatherElementsKernel.make
        case "GatherND": return GatherNDKernel.make
        case "Scatter", "ScatterElements": return ScatterElementsKernel.make
        case "ScatterND": return ScatterNDKernel.make
        case "OneHot": return OneHotKernel.make
        case "NonZero": return NonZeroKernel.make
        case "Gemm": return GemmKernel.make
        case "MatMul": return MatMulKernel.make
        case "Conv": return ConvKernel.make
        case "ConvTranspose": return ConvTransposeKernel.make
        case "Resize", "Upsample": return ResizeKernel.make
        case "MaxPool", "AveragePool": return PoolKernel.make
        case "GlobalAveragePool", "GlobalMaxPool": return GlobalPoolKernel.make
        case "BatchNormalization": return BatchNormKernel.make
        case "LayerNormalization": return LayerNormKernel.make
        case "Softmax", "LogSoftmax", "Hardmax": return SoftmaxKernel.make
        case "InstanceNormalization": return InstanceNormKernel.make
        case "DepthToSpace", "SpaceToDepth": return BlockShuffleKernel.make
        case "ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
            "ReduceProd", "ReduceMax", "ReduceMin":
            return ReduceKernel.make
        case "ArgMax", "ArgMin": return ArgMaxKernel.make
        case "TopK": return TopKKernel.make
        case "CumSum": return CumSumKernel.make
        case "Range": return RangeKernel.make
        case "Einsum": return EinsumKernel.make
        case "LSTM", "GRU", "RNN": return RecurrentKernel.make
        case "Scan": return ScanKernel.make
        default: return nil
        }
    }
}
