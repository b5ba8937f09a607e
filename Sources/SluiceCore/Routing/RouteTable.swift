/// An immutable snapshot of every route, published by `Routes` in one swap and read per
/// request. A request uses one snapshot for its whole life.
package struct RouteTable: Sendable {
    /// Sorted by name.
    package let routes: [CompiledRoute]

    package init(routes: [CompiledRoute]) {
        self.routes = routes.sorted { $0.name < $1.name }
    }

    package static let empty = RouteTable(routes: [])

    /// The route with that public name. Routes are few, so a scan of string comparisons beats a
    /// hash of the name (and allocates nothing for a `Substring`).
    package func route(named name: Substring) -> CompiledRoute? {
        for route in routes where route.config.name == name { return route }
        return nil
    }
}
