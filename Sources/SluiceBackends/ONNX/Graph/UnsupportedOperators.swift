/// The operators of one model that this build cannot run, gathered over every node so that a
/// refusal names them all at once: each with its domain, how many nodes use it, the first
/// node's name, and the way around it when one is known. Built by `GraphCompiler` at load.
struct UnsupportedOperators {
    private struct Entry {
        let op: String
        let domain: String
        var nodes: Int
        let first: String
    }
    private var entries: [Entry] = []

    mutating func add(op: String, domain: String, node: String) {
        if let i = entries.firstIndex(where: { $0.op == op && $0.domain == domain }) {
            entries[i].nodes += 1
        } else {
            entries.append(Entry(op: op, domain: domain, nodes: 1, first: node))
        }
    }

    /// The refusal, or nil when every operator is supported. "operator LSTM is not supported
    /// (1 node, first '/rnn/LSTM')" for one, "3 operators are not supported: …" for more.
    var reason: String? {
        guard !entries.isEmpty else { return nil }
        let described = entries.map { e in
            let name = e.domain.isEmpty ? e.op : "\(e.domain).\(e.op)"
            let count = "\(e.nodes) node\(e.nodes == 1 ? "" : "s"), first '\(e.first)'"
            let fix = Self.fix(op: e.op, domain: e.domain).map { ": \($0)" } ?? ""
            return (name, count, fix)
        }
        if described.count == 1, let (name, count, fix) = described.first {
            return "operator \(name) is not supported (\(count))\(fix)"
        }
        let list = described.map { "\($0.0) (\($0.1))\($0.2)" }.joined(separator: "; ")
        return "\(described.count) operators are not supported: \(list)"
    }

    /// The way around an operator, when one is known.
    static func fix(op: String, domain: String) -> String? {
        switch (domain, op) {
        case ("com.microsoft", "CDist"):
            return "an onnxruntime contrib operator, written by skl2onnx's options={'optim': 'cdist'}; export without that option"
        case ("com.microsoft", _):
            return "an onnxruntime contrib operator (onnxruntime's saved graph optimizations and its transformers optimizer write these); serve the model as the converter exported it, before onnxruntime optimized it"
        case ("ai.onnx.ml", "DictVectorizer"), ("ai.onnx.ml", "CastMap"):
            return "it reads a map, which the Open Inference Protocol cannot carry; export the pipeline from a numeric array input"
        case ("", "Loop"), ("", "If"), ("", "Scan"):
            return "control flow (subgraphs) is not supported; export with static control flow (torch.onnx.export traces loops out)"
        default:
            return nil
        }
    }
}
