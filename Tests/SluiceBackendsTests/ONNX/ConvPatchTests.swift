@testable import SluiceBackends
import Testing

/// Conv's im2col against a patch matrix spelled out position by position, over geometries that
/// take its block-copy path (unit strides, output rows as wide as the input's) and ones that
/// take the row-by-row path, for a chunk of several images.
@Suite struct ConvPatchTests {
    struct Geometry: CustomStringConvertible, Sendable {
        var input: [Int]  // D, H, W
        var kernel: [Int]
        var stride = [1, 1, 1]
        var dilation = [1, 1, 1]
        var padBegin = [0, 0, 0]
        var padEnd = [0, 0, 0]
        var description: String { "in \(input) k \(kernel) s \(stride) d \(dilation) pads \(padBegin)/\(padEnd)" }

        var plan: Window.Plan {
            var p = Window.Plan()
            p.input = input
            p.kernel = kernel
            p.stride = stride
            p.dilation = dilation
            p.padBegin = padBegin
            p.padEnd = padEnd
            p.output = (0..<3).map { i in
                (input[i] + padBegin[i] + padEnd[i] - ((kernel[i] - 1) * dilation[i] + 1)) / stride[i] + 1
            }
            p.outputDims = p.output
            return p
        }
    }

    static let geometries: [Geometry] = [
        // Block path: same padding.
        Geometry(input: [1, 8, 8], kernel: [1, 3, 3], padBegin: [0, 1, 1], padEnd: [0, 1, 1]),
        Geometry(input: [1, 4, 4], kernel: [1, 3, 3], padBegin: [0, 1, 1], padEnd: [0, 1, 1]),
        Geometry(input: [1, 5, 3], kernel: [1, 3, 3], padBegin: [0, 2, 2], padEnd: [0, 0, 0]),
        Geometry(input: [1, 6, 5], kernel: [1, 3, 3], dilation: [1, 2, 2], padBegin: [0, 2, 1], padEnd: [0, 2, 3]),
        Geometry(input: [1, 2, 2], kernel: [1, 5, 5], padBegin: [0, 2, 2], padEnd: [0, 2, 2]),
        Geometry(input: [1, 1, 7], kernel: [1, 1, 3], padBegin: [0, 0, 1], padEnd: [0, 0, 1]),
        Geometry(input: [3, 4, 4], kernel: [2, 3, 3], stride: [2, 1, 1], padBegin: [1, 1, 1], padEnd: [0, 1, 1]),
        // Row path: strides, or output narrower than the input.
        Geometry(input: [1, 8, 8], kernel: [1, 3, 3]),
        Geometry(input: [1, 7, 7], kernel: [1, 3, 3], stride: [1, 2, 2], padBegin: [0, 1, 1], padEnd: [0, 1, 1]),
        Geometry(input: [2, 5, 6], kernel: [2, 2, 3], stride: [1, 1, 2], dilation: [1, 2, 1], padBegin: [0, 1, 0], padEnd: [1, 0, 2]),
    ]

    @Test(arguments: geometries)
    func patchesMatchTheWindowPositionByPosition(_ g: Geometry) {
        let p = g.plan
        let (channels, images) = (2, 3)
        let inPlane = p.input.reduce(1, *), positions = p.output.reduce(1, *)
        let taps = p.kernel.reduce(1, *)
        let x = (0..<(images * channels * inPlane)).map { Float($0 % 97) + 1 }
        let width = images * positions
        var got = [Float](repeating: -1, count: channels * taps * width)
        x.withUnsafeBufferPointer { xs in
            got.withUnsafeMutableBufferPointer { col in
                guard let source = xs.baseAddress, let target = col.baseAddress else { return }
                ConvKernel.im2col(
                    source, channels: channels, p, into: target, rowStride: width, images: images,
                    imageStride: channels * inPlane)
            }
        }
        var want = [Float](repeating: 0, count: got.count)
        for c in 0..<channels {
            for kd in 0..<p.kernel[0] {
                for kh in 0..<p.kernel[1] {
                    for kw in 0..<p.kernel[2] {
                        let row = ((c * p.kernel[0] + kd) * p.kernel[1] + kh) * p.kernel[2] + kw
                        for image in 0..<images {
                            for od in 0..<p.output[0] {
                                for oh in 0..<p.output[1] {
                                    for ow in 0..<p.output[2] {
                                        let at = [
                                            od * p.stride[0] - p.padBegin[0] + kd * p.dilation[0],
                                            oh * p.stride[1] - p.padBegin[1] + kh * p.dilation[1],
                                            ow * p.stride[2] - p.padBegin[2] + kw * p.dilation[2],
                                        ]
                                        let column = image * positions + (od * p.output[1] + oh) * p.output[2] + ow
                                        guard (0..<3).allSatisfy({ at[$0] >= 0 && at[$0] < p.input[$0] }) else { continue }
                                        let index = (image * channels + c) * inPlane + (at[0] * p.input[1] + at[1]) * p.input[2] + at[2]
                                        want[row * width + column] = x[index]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(got == want)
    }
}
