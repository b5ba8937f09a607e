/// Class labels from scores: the index of the largest value per row, the first one on ties
/// (as `std::max_element` and `numpy.argmax` choose). Called by classifier backends on any thread.
package enum Argmax {
    /// `values` is row-major with `width` values per row; returns one label per row.
    package static func rows(_ values: [Float], width: Int) -> [Int64] {
        guard width > 0 else { return [] }
        var labels = [Int64]()
        labels.reserveCapacity(values.count / width)
        var start = 0
        while start + width <= values.count {
            var best = start
            for i in start + 1..<start + width where values[i] > values[best] { best = i }
            labels.append(Int64(best - start))
            start += width
        }
        return labels
    }
}
