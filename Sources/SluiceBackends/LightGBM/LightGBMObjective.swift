import Foundation

/// What a LightGBM objective means for serving: how summed scores become what `Booster.predict`
/// answers, and which outputs Sluice answers (README "Outputs of tree models"). Parsed once at load
/// from the header's `objective=<name> <key:value>…` line; applied per request on any thread.
struct LightGBMObjective: Sendable {
    typealias Answer = TreeAnswer

    /// The objectives' `ConvertOutput`, in LightGBM's own Double arithmetic.
    enum Transform: Sendable, Equatable {
        case identity
        /// 1 / (1 + e^(-scale·x)): binary, multiclassova (per class), cross_entropy (scale 1).
        case sigmoid(scale: Double)
        /// e^(x - max) / Σ, per row.
        case softmax
        /// e^x: poisson, gamma, tweedie.
        case exp
        /// log(1 + e^x): cross_entropy_lambda.
        case softplus
        /// sign(x)·x²: regression trained with `reg_sqrt`.
        case signedSquare
    }

    let name: String
    let answer: Answer
    let transform: Transform

    /// Reads the objective line's value (`binary sigmoid:1`); nil means an objective Sluice does
    /// not know, which the caller refuses. A model saved without an objective (a custom one)
    /// answers raw scores, as LightGBM's predict does.
    static func parse(_ line: Substring?) -> LightGBMObjective? {
        guard let line else { return LightGBMObjective(name: "none", answer: .regressor, transform: .identity) }
        let tokens = line.split(separator: " ")
        let name = tokens.first.map(String.init) ?? ""
        var parameters: [Substring: Substring] = [:]
        var bare: Set<Substring> = []
        for token in tokens.dropFirst() {
            if let colon = token.firstIndex(of: ":") {
                parameters[token[..<colon]] = token[token.index(after: colon)...]
            } else {
                bare.insert(token)
            }
        }
        // binary and multiclassova write `sigmoid:<scale>`; a value LightGBM could not have
        // written (zero, negative, not a number) makes the model unservable.
        var scale: Double? = 1.0
        if let text = parameters["sigmoid"] {
            scale = Double(text).flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
        }
        switch name {
        case "binary":
            guard let scale else { return nil }
            return LightGBMObjective(name: name, answer: .binaryClassifier, transform: .sigmoid(scale: scale))
        case "multiclass":
            return LightGBMObjective(name: name, answer: .multiClassifier, transform: .softmax)
        case "multiclassova":
            guard let scale else { return nil }
            return LightGBMObjective(name: name, answer: .multiClassifier, transform: .sigmoid(scale: scale))
        case "cross_entropy":
            return LightGBMObjective(name: name, answer: .regressor, transform: .sigmoid(scale: 1))
        case "cross_entropy_lambda":
            return LightGBMObjective(name: name, answer: .regressor, transform: .softplus)
        case "poisson", "gamma", "tweedie":
            return LightGBMObjective(name: name, answer: .regressor, transform: .exp)
        case "regression":
            return LightGBMObjective(
                name: name, answer: .regressor, transform: bare.contains("sqrt") ? .signedSquare : .identity)
        case "regression_l1", "huber", "fair", "quantile", "mape", "lambdarank", "rank_xendcg", "custom":
            return LightGBMObjective(name: name, answer: .regressor, transform: .identity)
        default:
            return nil
        }
    }

    /// Turns one row's scores (`row.count` values, already averaged in rf mode) into answers,
    /// in place. Works in Double as LightGBM does; the caller rounds to FP32 once, at the end.
    func apply(_ row: UnsafeMutableBufferPointer<Double>) {
        switch transform {
        case .identity:
            return
        case .sigmoid(let scale):
            for i in row.indices { row[i] = 1 / (1 + Foundation.exp(-scale * row[i])) }
        case .exp:
            for i in row.indices { row[i] = Foundation.exp(row[i]) }
        case .softplus:
            for i in row.indices { row[i] = Foundation.log1p(Foundation.exp(row[i])) }
        case .signedSquare:
            for i in row.indices { row[i] = (row[i] < 0 ? -1 : 1) * row[i] * row[i] }
        case .softmax:
            guard var largest = row.first else { return }
            for v in row { largest = max(largest, v) }
            var sum = 0.0
            for i in row.indices {
                row[i] = Foundation.exp(row[i] - largest)
                sum += row[i]
            }
            for i in row.indices { row[i] /= sum }
        }
    }
}
