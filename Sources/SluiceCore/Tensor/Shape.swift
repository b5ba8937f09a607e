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

    /// The element count of `dims`, or nil when a dimension is negative or the product of the
    /// nonzero ones exceeds `limit`. Bounding that product, not only the count (which one 0
    /// makes 0 whatever the other dimensions), bounds every partial product of the dimensions
    /// (outer and inner sizes, strides, planes), so code that holds a shape that passed may
    /// multiply its dimensions without overflow: `[0, 4611686018427387904, 4]` does not pass.
    package static func count(_ dims: [Int], within limit: Int) -> Int? {
        var product = 1
        var empty = false
        for dim in dims {
            guard dim >= 0 else { return nil }
            if dim == 0 {
                empty = true
                continue
            }
            let (next, overflow) = product.multipliedReportingOverflow(by: dim)
            guard !overflow, next <= limit else { return nil }
            product = next
        }
        return empty ? 0 : product
    }

    /// Whether a concrete shape fits a declared one, where -1 is any size.
    package static func matches(_ dims: [Int], declared: [Int]) -> Bool {
        guard dims.count == declared.count else { return false }
        for (d, e) in zip(dims, declared) where e >= 0 && d != e { return false }
        return true
    }
}
