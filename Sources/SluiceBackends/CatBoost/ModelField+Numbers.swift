import SluiceCore

extension ModelField {
    /// One number as Double (CatBoost writes leaf values and borders at full precision).
    func double() throws(ServingError) -> Double {
        switch value {
        case .double(let d): return d
        case .integer(let i): return Double(i)
        default: throw fail("expected a number, found \(value.kind)")
        }
    }

    /// An array of numbers as Double, for values that are scaled before they are rounded.
    func doubles() throws(ServingError) -> [Double] {
        guard case .array(let items) = value else { throw fail("expected an array of numbers, found \(value.kind)") }
        var out = [Double]()
        out.reserveCapacity(items.count)
        for item in items {
            switch item {
            case .double(let d): out.append(d)
            case .integer(let i): out.append(Double(i))
            default: throw fail("expected numbers, found \(item.kind)")
            }
        }
        return out
    }
}
