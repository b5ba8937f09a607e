import SluiceCore

extension GraphCompiler {
    /// How deeply graph attributes may nest (a Scan inside a Scan's body is depth 2). A file
    /// that nests deeper is refused at load: each level compiles (and runs) recursively.
    static let maxSubgraphDepth = 4
}

extension NodeInfo {
    /// Compiles graph attribute `name` (Scan's body) with the model's opsets and limits, as a
    /// graph of its own: its inputs are the values the node binds per iteration, and it may not
    /// read values of the enclosing graph. Called by kernel factories at load; a failure names
    /// this node and the attribute.
    func subgraph(_ name: String) throws(ServingError) -> ExecutionPlan {
        guard let graph = attributes.graph(name) else { throw fail("graph attribute '\(name)' is required") }
        guard depth < GraphCompiler.maxSubgraphDepth else {
            throw fail("graph attributes nest deeper than \(GraphCompiler.maxSubgraphDepth) levels")
        }
        do throws(ServingError) {
            return try GraphCompiler.compile(graph, file: file, limits: limits, opsets: opsets, depth: depth + 1)
        } catch {
            let reason = error.description.hasPrefix("\(file): ") ? String(error.description.dropFirst(file.count + 2)) : error.description
            throw fail("attribute '\(name)': \(reason)")
        }
    }
}
