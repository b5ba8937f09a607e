import Foundation
import SluiceCore

/// One of the gate functions LSTM, GRU and RNN take in their `activations` attribute, with its
/// `activation_alpha`/`activation_beta` values. Applied in place to a gate's slice of a row,
/// one loop per case so each vectorizes.
enum RecurrentActivation: Sendable, Equatable {
    case sigmoid, tanh, relu, softsign, softplus
    case leakyRelu(Float), thresholdedRelu(Float), elu(Float)
    case affine(Float, Float), scaledTanh(Float, Float), hardSigmoid(Float, Float)

    /// Reads `count` functions (`count / defaults.count` directions; one direction's list
    /// serves both of a bidirectional node, as onnxruntime takes it) or the defaults. Names are
    /// matched without case, as onnxruntime does; alpha and beta values are taken in order by
    /// the functions that use them, and each such function must have its own (the ONNX spec
    /// gives them no defaults). A name outside the ONNX list, a missing or a leftover value
    /// fails the load naming it.
    static func read(_ n: NodeInfo, defaults: [RecurrentActivation], directions: Int) throws(ServingError) -> [RecurrentActivation] {
        let a = n.attributes
        let alphas = a.floats("activation_alpha") ?? [], betas = a.floats("activation_beta") ?? []
        guard let names = a.strings("activations") else {
            guard alphas.isEmpty, betas.isEmpty else {
                throw n.fail("activation_alpha/activation_beta given without 'activations'")
            }
            return Array([[RecurrentActivation]](repeating: defaults, count: directions).joined())
        }
        guard names.count == defaults.count * directions || names.count == defaults.count else {
            throw n.fail("'activations' lists \(names.count) functions; \(n.op) takes \(defaults.count) per direction (\(directions) direction\(directions == 1 ? "" : "s"))")
        }
        var alpha = alphas.makeIterator(), beta = betas.makeIterator()
        var result: [RecurrentActivation] = []
        for name in names {
            func next(_ values: inout IndexingIterator<[Float]>, _ what: String) throws(ServingError) -> Float {
                guard let v = values.next() else { throw n.fail("activation \(name) needs a value in activation_\(what)") }
                return v
            }
            switch name.lowercased() {
            case "sigmoid": result.append(.sigmoid)
            case "tanh": result.append(.tanh)
            case "relu": result.append(.relu)
            case "softsign": result.append(.softsign)
            case "softplus": result.append(.softplus)
            case "leakyrelu": result.append(.leakyRelu(try next(&alpha, "alpha")))
            case "thresholdedrelu": result.append(.thresholdedRelu(try next(&alpha, "alpha")))
            case "elu": result.append(.elu(try next(&alpha, "alpha")))
            case "affine": result.append(.affine(try next(&alpha, "alpha"), try next(&beta, "beta")))
            case "scaledtanh": result.append(.scaledTanh(try next(&alpha, "alpha"), try next(&beta, "beta")))
            case "hardsigmoid": result.append(.hardSigmoid(try next(&alpha, "alpha"), try next(&beta, "beta")))
            default:
                throw n.fail("activation '\(name)' is not supported (supported: Sigmoid, Tanh, Relu, LeakyRelu, ThresholdedRelu, Elu, Softsign, Softplus, Affine, ScaledTanh, HardSigmoid)")
            }
        }
        guard alpha.next() == nil, beta.next() == nil else {
            throw n.fail("activation_alpha/activation_beta hold more values than the activations use")
        }
        if result.count < defaults.count * directions { result += result }
        return result
    }

    /// `p[i] = f(min(max(p[i], -clip), clip))` for `i < n`; no clipping when `clip` is nil.
    @inline(__always)
    func apply(_ p: UnsafeMutablePointer<Float>, _ n: Int, clip: Float?) {
        if let clip {
            for i in 0..<n { p[i] = Swift.min(Swift.max(p[i], -clip), clip) }
        }
        switch self {
        case .sigmoid: for i in 0..<n { p[i] = FastMath.logistic(p[i]) }
        case .tanh: for i in 0..<n { p[i] = FastMath.tanh(p[i]) }
        case .relu: for i in 0..<n { p[i] = p[i] < 0 ? 0 : p[i] }
        case .softsign: for i in 0..<n { p[i] = p[i] / (1 + Swift.abs(p[i])) }
        case .softplus:
            // log(1 + e^x) without overflow: x + log(1 + e^-x) for large x.
            for i in 0..<n { let x = p[i]; p[i] = x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x)) }
        case .leakyRelu(let alpha): for i in 0..<n { p[i] = p[i] < 0 ? alpha * p[i] : p[i] }
        case .thresholdedRelu(let alpha): for i in 0..<n { p[i] = p[i] > alpha ? p[i] : 0 }
        case .elu(let alpha): for i in 0..<n { let x = p[i]; p[i] = x < 0 ? alpha * (Foundation.exp(x) - 1) : x }
        case .affine(let alpha, let beta): for i in 0..<n { p[i] = alpha * p[i] + beta }
        case .scaledTanh(let alpha, let beta): for i in 0..<n { p[i] = alpha * FastMath.tanh(beta * p[i]) }
        case .hardSigmoid(let alpha, let beta): for i in 0..<n { p[i] = Swift.max(0, Swift.min(1, alpha * p[i] + beta)) }
        }
    }
}
