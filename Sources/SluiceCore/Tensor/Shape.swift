/// Shape arithmetic that a client can reach: every product is overflow-checked.
package enum Shape {
    /// The number of elements of a concrete shape. Throws for a negative dimension or a product
    /// that does not fit in `Int` (a client may send `[4294967296, 4294967296]`).
    package static func elementCount(_ dims: [Int]) throws(ServingError) -> Int {
        var count = 1
        for dim in dims {
            guard dim >= 0 else {
                throw .invalidInput("shape \(dims) has a negative dimension")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw .invalidInput("shape \(dims) has too many elements") }
            count = product
        }
        return count
    }

    /// Whether a concrete shape fits a declared one, where -1 is any size.
    package static func matches(_ dims: [Int], declared: [Int]) -> Bool {
        guard dims.count == declared.count else { return false }
        for (d, e) in zip(dims, declared) where e >= 0 && d != e { return false }
        return true
    }
}
