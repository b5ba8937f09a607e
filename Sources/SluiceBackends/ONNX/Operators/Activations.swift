import Foundation
import SluiceCore

/// Element-wise functions of one FP32 or FP64 input: the activations (Relu, LeakyRelu, Sigmoid, Tanh,
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
    let type: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        try n.requireInputs(1...1)
        let t = try n.type(0, in: [.float, .double])
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
        return Compiled(kernel: UnaryKernel(function: f, type: t), outputTypes: [t])
    }

    /// The function as an activation a Gemm, MatMul or Conv before it can apply to its own
    /// output (the graph compiler's fusion), or nil for the functions they do not take.
    var activation: Activation? {
        switch function {
        case .relu: .relu
        case .leakyRelu(let alpha): .leakyRelu(alpha)
        case .sigmoid: .sigmoid
        case .tanh: .tanh
        case .gelu: .gelu
        case .geluTanh: .geluTanh
        default: nil
        }
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        switch type {
        case .double: try run(io, ws, Double.self)
        default: try run(io, ws, Float.self)
        }
    }

    @inline(__always)
    private func run<T: FloatElement>(_ io: NodeIO, _ ws: Workspace, _: T.Type) throws(ServingError) {
        let x = ws.input(io, 0)
        let src = x.pointer(T.self)
        let out = try ws.output(io, 0, type, x.shape, as: T.self)
        let n = x.count
        if let activation {
            activation.apply(src, out, n)
            return
        }
        switch function {
        case .relu, .leakyRelu, .sigmoid, .tanh, .gelu, .geluTanh: break  // `activation` above ran them
        case .exp: for i in 0..<n { out[i] = T.exp(src[i]) }
        case .log: for i in 0..<n { out[i] = T.log(src[i]) }
        case .sqrt: for i in 0..<n { out[i] = src[i].squareRoot() }
        case .erf: for i in 0..<n { out[i] = T.erf(src[i]) }
        case .abs: for i in 0..<n { out[i] = Swift.abs(src[i]) }
        case .neg: for i in 0..<n { out[i] = -src[i] }
        case .floor: for i in 0..<n { out[i] = src[i].rounded(.down) }
        case .ceil: for i in 0..<n { out[i] = src[i].rounded(.up) }
        case .reciprocal: for i in 0..<n { out[i] = 1 / src[i] }
        case .softplus:
            for i in 0..<n {
                let v = src[i]
                out[i] = v > 20 ? v : T.log1p(T.exp(v))
            }
        case .elu(let a):
            let alpha = T(a)
            for i in 0..<n { let v = src[i]; out[i] = v < 0 ? alpha * (T.exp(v) - 1) : v }
        case .selu(let a, let g):
            let alpha = T(a), gamma = T(g)
            for i in 0..<n {
                let v = src[i]
                out[i] = v <= 0 ? gamma * (alpha * T.exp(v) - alpha) : gamma * v
            }
        case .hardSigmoid(let a, let b):
            let alpha = T(a), beta = T(b)
            for i in 0..<n { out[i] = Swift.max(0, Swift.min(1, alpha * src[i] + beta)) }
        // NaN and ±0 keep themselves, as numpy.sign gives them.
        case .sign: for i in 0..<n { let v = src[i]; out[i] = v > 0 ? 1 : (v < 0 ? -1 : v) }
        case .round: for i in 0..<n { out[i] = src[i].rounded(.toNearestOrEven) }
        case .softsign: for i in 0..<n { out[i] = src[i] / (1 + Swift.abs(src[i])) }
        case .hardSwish: for i in 0..<n { let v = src[i]; out[i] = v * Swift.max(0, Swift.min(1, v / 6 + 0.5)) }
        case .mish:
            for i in 0..<n {
                let v = src[i]
                out[i] = v * T(Foundation.tanh(Double(v > 20 ? v : T.log1p(T.exp(v)))))
            }
        case .thresholdedRelu(let a):
            let alpha = T(a)
            for i in 0..<n { out[i] = src[i] > alpha ? src[i] : 0 }
        case .celu(let a):
            let alpha = T(a)
            for i in 0..<n { let v = src[i]; out[i] = Swift.max(0, v) + Swift.min(0, alpha * (T.exp(v / alpha) - 1)) }
        case .shrink(let b, let l):
            let bias = T(b), lambd = T(l)
            for i in 0..<n { let v = src[i]; out[i] = v < -lambd ? v + bias : (v > lambd ? v - bias : 0) }
        case .sin: for i in 0..<n { out[i] = T(Foundation.sin(Double(src[i]))) }
        case .cos: for i in 0..<n { out[i] = T(Foundation.cos(Double(src[i]))) }
        case .tan: for i in 0..<n { out[i] = T(Foundation.tan(Double(src[i]))) }
        case .asin: for i in 0..<n { out[i] = T(Foundation.asin(Double(src[i]))) }
        case .acos: for i in 0..<n { out[i] = T(Foundation.acos(Double(src[i]))) }
        case .atan: for i in 0..<n { out[i] = T(Foundation.atan(Double(src[i]))) }
        case .sinh: for i in 0..<n { out[i] = T(Foundation.sinh(Double(src[i]))) }
        case .cosh: for i in 0..<n { out[i] = T(Foundation.cosh(Double(src[i]))) }
        case .asinh: for i in 0..<n { out[i] = T(Foundation.asinh(Double(src[i]))) }
        case .acosh: for i in 0..<n { out[i] = T(Foundation.acosh(Double(src[i]))) }
        case .atanh: for i in 0..<n { out[i] = T(Foundation.atanh(Double(src[i]))) }
        }
    }
}

/// Clip to [min, max] on FP32 or FP64; the bounds are attributes before opset 11 and optional
/// scalar inputs (of the input's type) from 11 on, read per request when they are not constants.
struct ClipKernel: Kernel {
    let low: Double
    let high: Double
    let type: ElementType

    static func make(_ n: NodeInfo) throws(ServingError) -> Compiled {
        if n.opset < 11 {
            try n.requireInputs(1...1)
            _ = try n.type(0, in: [.float])
            if n.opset < 6 { n.attributes.ignore("consumed_inputs") }
            let low = n.attributes.float("min", default: -.greatestFiniteMagnitude)
            let high = n.attributes.float("max", default: .greatestFiniteMagnitude)
            return Compiled(kernel: ClipKernel(low: Double(low), high: Double(high), type: .float), outputTypes: [.float])
        }
        try n.requireInputs(1...3)
        let t = try n.type(0, in: [.float, .double])
        for i in 1..<3 where n.has(i) { _ = try n.type(i, in: [t]) }
        return Compiled(kernel: ClipKernel(low: -.infinity, high: .infinity, type: t), outputTypes: [t])
    }

    func run(_ io: NodeIO, _ ws: Workspace) throws(ServingError) {
        let x = ws.input(io, 0)
        var low = self.low, high = self.high
        if ws.has(io, 1), let v = ws.input(io, 1).scalar() { low = v }
        if ws.has(io, 2), let v = ws.input(io, 2).scalar() { high = v }
        let clip = Activation.clip(low: low, high: high)
        switch type {
        case .double: clip.apply(x.pointer(Double.self), try ws.output(io, 0, type, x.shape, as: Double.self), x.count)
        default: clip.apply(x.pointer(Float.self), try ws.output(io, 0, type, x.shape, as: Float.self), x.count)
        }
    }

    /// The clip as an activation for the product before it when its bounds are known at load
    /// (attributes, absent, or constant inputs), else nil.
    func activation(_ io: NodeIO, constants: [Int: Constant]) -> Activation? {
        var bounds = [low, high]
        for i in 1...2 where i < io.inputs.count && io.inputs[i] >= 0 {
            // As `run` reads them: a present but empty bound keeps the default.
            guard let c = constants[io.inputs[i]] else { return nil }
            if let v = c.doubles.first { bounds[i - 1] = v }
        }
        return .clip(low: bounds[0], high: bounds[1])
    }
}
