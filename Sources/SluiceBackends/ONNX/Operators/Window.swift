import SluiceCore

/// The sliding-window geometry shared by Conv and the pooling operators, with 1-D and 2-D
/// inputs widened to three spatial dimensions (leading dimensions of size 1), so one loop
/// nest serves them all.
struct Window: Sendable {
    enum Padding: Sendable { case explicit([Int]), sameUpper, sameLower, valid }

    let kernel: [Int]
    let strides: [Int]
    let dilations: [Int]
    let padding: Padding
    let ceilMode: Bool

    /// Reads kernel_shape (or `kernel` when the weights give it), strides, dilations, pads and
    /// auto_pad; refuses values that make no sense for `rank` spatial dimensions, and a window
    /// of more taps, or a stride, dilation, pad or dilated extent ((kernel − 1) × dilation + 1)
    /// longer, than a tensor may have elements (`limits.maxTensorElements`, at most 2^30): what
    /// `plan` and the loops over a window multiply then stays far below `Int.max`.
    static func read(_ n: NodeInfo, rank: Int?, kernel fromWeights: [Int]?, ceilMode: Bool) throws(ServingError) -> Window {
        let a = n.attributes
        guard let kernel = a.ints("kernel_shape") ?? fromWeights else { throw n.fail("attribute 'kernel_shape' is required") }
        let r = kernel.count
        guard (1...3).contains(r), rank == nil || rank == r else {
            throw n.fail("\(r) spatial dimensions are not supported (1 to 3 are)")
        }
        let strides = a.ints("strides") ?? Array(repeating: 1, count: r)
        let dilations = a.ints("dilations") ?? Array(repeating: 1, count: r)
        let pads = a.ints("pads") ?? Array(repeating: 0, count: 2 * r)
        guard strides.count == r, dilations.count == r, pads.count == 2 * r,
            strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }), kernel.allSatisfy({ $0 > 0 }),
            pads.allSatisfy({ $0 >= 0 })
        else {
            throw n.fail("kernel_shape \(kernel), strides \(strides), dilations \(dilations) and pads \(pads) do not fit together")
        }
        let longest = n.limits.maxTensorElements
        guard Shape.count(kernel, within: longest) != nil, (strides + dilations + pads).allSatisfy({ $0 <= longest }) else {
            throw n.fail(
                "kernel_shape \(kernel), strides \(strides), dilations \(dilations) or pads \(pads) are beyond limits.max_model_tensor_elements (\(longest))")
        }
        // SAME padding pads the input to the extent, which is then bounded by nothing else: the
        // extent bounds the pad and every index into the padded input (up to 2^60 otherwise).
        if let extent = zip(kernel, dilations).map({ ($0 - 1) * $1 + 1 }).first(where: { $0 > longest }) {
            throw n.fail(
                "kernel_shape \(kernel) with dilations \(dilations) spans \(extent) elements, beyond limits.max_model_tensor_elements (\(longest))")
        }
        let padding: Padding
        switch a.string("auto_pad") ?? "NOTSET" {
        case "NOTSET": padding = .explicit(pads)
        case "SAME_UPPER": padding = .sameUpper
        case "SAME_LOWER": padding = .sameLower
        case "VALID": padding = .valid
        case let other: throw n.fail("auto_pad '\(other)' is not supported")
        }
        return Window(kernel: kernel, strides: strides, dilations: dilations, padding: padding, ceilMode: ceilMode)
    }

    /// Per spatial dimension, widened to three: input size, output size, kernel, stride,
    /// dilation and padding before.
    struct Plan {
        var input = [1, 1, 1]
        var output = [1, 1, 1]
        var kernel = [1, 1, 1]
        var stride = [1, 1, 1]
        var dilation = [1, 1, 1]
        var padBegin = [0, 0, 0]
        var padEnd = [0, 0, 0]
        /// The real (unwidened) output spatial dims.
        var outputDims: [Int] = []
    }

    func plan(_ spatial: [Int], _ io: NodeIO) throws(ServingError) -> Plan {
        let r = kernel.count
        guard spatial.count == r else { throw io.fail("input has \(spatial.count) spatial dimensions; the window has \(r)") }
        var p = Plan()
        let shift = 3 - r
        for i in 0..<r {
            let size = spatial[i], k = kernel[i], s = strides[i], d = dilations[i]
            let extent = (k - 1) * d + 1
            var begin = 0, end = 0, out: Int
            switch padding {
            case .explicit(let pads):
                begin = pads[i]
                end = pads[i + r]
                let span = size + begin + end - extent
                guard span >= 0 else { throw io.fail("input size \(size) is smaller than the window \(extent)") }
                if ceilMode {
                    out = (span + s - 1) / s + 1
                    if (out - 1) * s >= size + begin { out -= 1 }
                } else {
                    out = span / s + 1
                }
            case .valid:
                let span = size - extent
                guard span >= 0 else { throw io.fail("input size \(size) is smaller than the window \(extent)") }
                out = ceilMode ? (span + s - 1) / s + 1 : span / s + 1
            case .sameUpper, .sameLower:
                out = (size + s - 1) / s
                let total = max(0, (out - 1) * s + extent - size)
                if case .sameUpper = padding { begin = total / 2 } else { begin = total - total / 2 }
                end = total - begin
            }
            p.input[shift + i] = size
            p.output[shift + i] = out
            p.kernel[shift + i] = k
            p.stride[shift + i] = s
            p.dilation[shift + i] = d
            p.padBegin[shift + i] = begin
            p.padEnd[shift + i] = end
            p.outputDims.append(out)
        }
        return p
    }
}
