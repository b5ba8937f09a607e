import Foundation
import SluiceCore

/// FP32 element-wise functions of one input: the activations (Relu, LeakyRelu, Sigmoid, Tanh,
/// Elu, Selu, Celu, HardSigmoid, HardSwish, Softplus, Softsign, Mish, ThresholdedRelu, Shrink),
/// Exp, Log, Sqrt, Erf, Gelu (opset 20, approximate "none" or "tanh"), Abs, Neg, Sign, Reciprocal, the roundings and the trigonometric and
/// hyperbolic functions and their inverses.
struct UnaryKernel: Kernel {
    enum Function: Sendable {
        case relu, leakyRelu(Float), sigmoid, tanh, exp, log, sqrt, erf, abs, neg
        case floor, ceil, reciprocal, softplus, elu(Float), selu(alpha: Float, gamma: Float)
        case hardSigmoid(alpha: Float, beta: Float)
        case sign, round, softsign, hardSwish, mish, thresholdedRelu(Float), celu(Float), shrink(bias: Float, lambd: Float)
        case sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh
        case gelu, geluTanh
    }
    let function: Function

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        _ = try n.type(0, in: [.float])
        let f: Function
        switch n.op {
        case "Relu": f = .relu
        case "LeakyRelu": f = .leakyRelu(n.attributes.float("alpha", default: 0.01))
        case "Sigmoid": f = .sigmoid
        case "Tanh": f = .tanh
        case "Exp": f = .exp
        case "Log": f = .log
        case "Sqrt": f = .sqrt
        case "Erf": f = .erf
        case "Abs": f = .abs
        case "Neg": f = .neg
        case "Floor": f = .floor
        case "Ceil": f = .ceil
        case "Reciprocal": f = .reciprocal
        case "Softplus": f = .softplus
        case "Elu": f = .elu(n.attributes.float("alpha", default: 1))
        case "Selu":
            f = .selu(
                alpha: n.attributes.float("alpha", default: 1.67326319217681884765625),
                gamma: n.attributes.float("gamma", default: 1.05070102214813232421875))
        case "HardSigmoid":
            f = .hardSigmoid(alpha: n.attributes.float("alpha", default: 0.2), beta: n.attributes.float("beta", default: 0.5))
        case "Sign": f = .sign
        case "Round": f = .round
        case "Softsign": f = .softsign
        case "HardSwish": f = .hardSwish
        case "Mish": f = .mish
        case "ThresholdedRelu": f = .thresholdedRelu(n.attributes.float("alpha", default: 1))
        case "Celu": f = .celu(n.attributes.float("alpha", default: 1))
        case "Shrink": f = .shrink(bias: n.attributes.float("bias", default: 0), lambd: n.attributes.float("lambd", default: 0.5))
        case "Sin": f = .sin
        case "Cos": f = .cos
        case "Tan": f = .tan
        case "Asin": f = .asin
        case "Acos": f = .acos
        case "Atan": f = .atan
        case "Sinh": f = .sinh
        case "Cosh": f = .cosh
        case "Asinh": f = .asinh
        case "Acosh": f = .acosh
        case "Atanh": f = .atanh
        case "Gelu":
            switch n.attributes.string("approximate") ?? "none" {
            case "none": f = .gelu
            case "tanh": f = .geluTanh
            case let other: throw n.fail("approximate '\(other)' is not supported (none or tanh)")
            }
        default: throw n.fail("not an element-wise function")
        }
        if n.opset < 6 { n.attributes.ignore("consumed_inputs") }
        return Compiled(kernel: UnaryKernel(function: f), outputTypes: [.float])
    }

    /// The function as an activation a Gemm, MatMul or Conv before it can apply to its own
    /// output (the graph compiler's fusion), or nil for the functions they do not take.
    var activation: Activation? {
        switch function {
        case .relu: .relu
        case .leakyRelu(let alpha): .leakyRelu(alpha)
        case .sigmoid: .sigmoid
        case .tanh: .tanh
        default: nil
        }
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        let src = x.pointer(Float.self)
        let out = try ws.output(io, 0, .float, x.shape, as: Float.self)
        let n = x.count
        if let activation {
            activation.apply(src, out, n)
            return
        }
        switch function {
        case .relu, .leakyRelu, .sigmoid, .tanh: break  // `activation` above ran them
        case .exp: for i in 0..<n { out[i] = Foundation.exp(src[i]) }
        case .log: for i in 0..<n { out[i] = Foundation.log(src[i]) }
        case .sqrt: for i in 0..<n { out[i] = src[i].squareRoot() }
        case .erf: for i in 0..<n { out[i] = Foundation.erf(src[i]) }
        case .abs: for i in 0..<n { out[i] = Swift.abs(src[i]) }
        case .neg: for i in 0..<n { out[i] = -src[i] }
        case .floor: for i in 0..<n { out[i] = src[i].rounded(.down) }
        case .ceil: for i in 0..<n { out[i] = src[i].rounded(.up) }
        case .reciprocal: for i in 0..<n { out[i] = 1 / src[i] }
        case .softplus:
            for i in 0..<n {
                let v = src[i]
                out[i] = v > 20 ? v : Foundation.log1p(Foundation.exp(v))
            }
        case .elu(let alpha): for i in 0..<n { let v = src[i]; out[i] = v < 0 ? alpha * (Foundation.exp(v) - 1) : v }
        case .selu(let alpha, let gamma):
            for i in 0..<n {
                let v = src[i]
                out[i] = v <= 0 ? gamma * (alpha * Foundation.exp(v) - alpha) : gamma * v
            }
        case .hardSigmoid(let alpha, let beta):
            for i in 0..<n { out[i] = Swift.max(0, Swift.min(1, alpha * src[i] + beta)) }
        // NaN and ±0 keep themselves, as numpy.sign gives them.
        case .sign: for i in 0..<n { let v = src[i]; out[i] = v > 0 ? 1 : (v < 0 ? -1 : v) }
        case .round: for i in 0..<n { out[i] = src[i].rounded(.toNearestOrEven) }
        case .softsign: for i in 0..<n { out[i] = src[i] / (1 + Swift.abs(src[i])) }
        case .hardSwish: for i in 0..<n { let v = src[i]; out[i] = v * Swift.max(0, Swift.min(1, v / 6 + 0.5)) }
        case .mish:
            for i in 0..<n {
                let v = src[i]
                out[i] = v * Foundation.tanh(v > 20 ? v : Foundation.log1p(Foundation.exp(v)))
            }
        case .thresholdedRelu(let alpha): for i in 0..<n { out[i] = src[i] > alpha ? src[i] : 0 }
        case .celu(let alpha):
            for i in 0..<n { let v = src[i]; out[i] = Swift.max(0, v) + Swift.min(0, alpha * (Foundation.exp(v / alpha) - 1)) }
        case .shrink(let bias, let lambd):
            for i in 0..<n { let v = src[i]; out[i] = v < -lambd ? v + bias : (v > lambd ? v - bias : 0) }
        case .sin: for i in 0..<n { out[i] = Foundation.sin(src[i]) }
        case .cos: for i in 0..<n { out[i] = Foundation.cos(src[i]) }
        case .tan: for i in 0..<n { out[i] = Foundation.tan(src[i]) }
        case .asin: for i in 0..<n { out[i] = Foundation.asin(src[i]) }
        case .acos: for i in 0..<n { out[i] = Foundation.acos(src[i]) }
        case .atan: for i in 0..<n { out[i] = Foundation.atan(src[i]) }
        case .sinh: for i in 0..<n { out[i] = Foundation.sinh(src[i]) }
        case .cosh: for i in 0..<n { out[i] = Foundation.cosh(src[i]) }
        case .asinh: for i in 0..<n { out[i] = Foundation.asinh(src[i]) }
        case .acosh: for i in 0..<n { out[i] = Foundation.acosh(src[i]) }
        case .atanh: for i in 0..<n { out[i] = Foundation.atanh(src[i]) }
        case .gelu: for i in 0..<n { out[i] = FastMath.gelu(src[i]) }
        case .geluTanh: for i in 0..<n { out[i] = FastMath.geluTanh(src[i]) }
        }
    }
}

/// Clip to [min, max]; the bounds are attributes before opset 11 and optional scalar inputs
/// from 11 on (read per request when they are not constants).
struct ClipKernel: Kernel {
    let low: Float
    let high: Float

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        _ = try n.type(0, in: [.float])
        if n.opset < 11 {
            try n.requireInputs(1...1)
            if n.opset < 6 { n.attributes.ignore("consumed_inputs") }
            let low = n.attributes.float("min", default: -.greatestFiniteMagnitude)
            let high = n.attributes.float("max", default: .greatestFiniteMagnitude)
            return Compiled(kernel: ClipKernel(low: low, high: high), outputTypes: [.float])
        }
        try n.requireInputs(1...3)
        for i in 1..<3 where n.has(i) { _ = try n.type(i, in: [.float]) }
        return Compiled(kernel: ClipKernel(low: -.infinity, high: .infinity), outputTypes: [.float])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        var low = self.low, high = self.high
        if ws.has(io, 1), let v = ws.input(io, 1).scalar() { low = Float(v) }
        if ws.has(io, 2), let v = ws.input(io, 2).scalar() { high = Float(v) }
        let src = x.pointer(Float.self)
        let out = try ws.output(io, 0, .float, x.shape, as: Float.self)
        Activation.clip(low: low, high: high).apply(src, out, x.count)
    }

    /// The clip as an activation for the product before it when its bounds are known at load
    /// (attributes, absent, or constant inputs), else nil.
    func activation(_ io: NodeIO, constants: [Int: Constant]) -> Activation? {
        var bounds = [low, high]
        for i in 1...2 where i < io.inputs.count && io.inputs[i] >= 0 {
            // As `run` reads them: a present but empty bound keeps the default.
            guard let c = constants[io.inputs[i]] else { return nil }
            if let v = c.doubles.first { bounds[i - 1] = Float(v) }
        }
        return .clip(low: bounds[0], high: bounds[1])
    }
}
