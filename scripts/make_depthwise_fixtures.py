#!/usr/bin/env python3
"""Reference fixtures for the depthwise Conv kernel (issue 19: group = input channels, weights
[C*multiplier, 1, kH, kW]), checked by ONNXFixtureTests against onnxruntime's answers (fixed seeds):

    python3 scripts/make_depthwise_fixtures.py

depthwise_block: a MobileNet depthwise-separable block at odd sizes, as torch.onnx.export writes
it: depthwise Conv 3x3 (pads 1, no bias) -> BatchNormalization -> Clip(0, 6) -> pointwise Conv 1x1
-> BatchNormalization -> Clip(0, 6), on [N, 8, 13, 11].

depthwise_windows: depthwise Convs one after another over [N, 4, 15, 17]: 3x3 stride 2 with uneven
pads and a bias, then Relu; 5x5 with channel multiplier 2 and a bias; 3x3 dilation 2; 3x3 with no
padding, then LeakyRelu (applied after the kernel's pass).

depthwise_odd: windows off the fast paths: 2x2 stride 3 (multiplier 3, bias), 3x3 stride 3 with
SAME_UPPER padding, 7x5 with pads and dilation (1, 2) then Sigmoid, 1x1; on [N, 3, 20, 19],
both ends flattened side by side.

pointwise_odd: pointwise 1x1 Convs one after another, off the kernel's tile sizes, on [N, 3, 7, 9]
  (63 positions): 3 -> 13 maps with a bias then Relu (few channels), 13 -> 300 without a bias,
  300 -> 7 with a bias then Sigmoid (more channels than the kernel's block of 256).
depthwise_separable_odd: a separable block whose pointwise half is off the tile sizes, on
  [N, 10, 9, 11]: depthwise 3x3 stride 1 (pads 1, bias) -> Clip(0, 6), pointwise 1x1 10 -> 19
  (bias) -> LeakyRelu (applied after the kernel's clamp-free epilogue).
depthwise_inverted_residual: a MobileNetV2 block whose skip Add fuses into the pointwise Conv
  (so the depthwise/pointwise pair must not fuse), on [N, 8, 9, 7].
depthwise_separable_pair: two separable blocks on [N, 6, 12, 10]; the first (depthwise 3x3 with a
bias and Relu, pointwise 1x1 with a bias then Relu) fuses into one step; in the second (depthwise
5x5 stride 2 -> BatchNormalization -> Clip(0, 6), pointwise 1x1 -> BatchNormalization) the
depthwise output is also a graph output ("middle"), so the pair must not fuse.
"""
import os
import sys

import numpy as np
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_onnx_fixtures import network, value, weights, write_case  # noqa: E402


def floats(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.float32), name)


def batch_norm(rng, prefix, x, out, channels):
    init = [
        floats(f"{prefix}.weight", rng.uniform(0.5, 1.5, channels)),
        floats(f"{prefix}.bias", rng.normal(size=channels) * 0.1),
        floats(f"{prefix}.running_mean", rng.normal(size=channels) * 0.2),
        floats(f"{prefix}.running_var", rng.uniform(0.5, 2, channels)),
    ]
    node = helper.make_node("BatchNormalization", [x, f"{prefix}.weight", f"{prefix}.bias", f"{prefix}.running_mean",
                                                   f"{prefix}.running_var"], [out], f"/{prefix}/BatchNormalization",
                            epsilon=1e-5)
    return node, init


def block_model(seed=60, channels=8, out_channels=16):
    rng = np.random.default_rng(seed)
    bn1, i1 = batch_norm(rng, "bn1", "dw", "b1", channels)
    bn2, i2 = batch_norm(rng, "bn2", "pw", "b2", out_channels)
    init = [weights(rng, "dw.weight", (channels, 1, 3, 3)), weights(rng, "pw.weight", (out_channels, channels, 1, 1)),
            floats("zero", 0.0), floats("six", 6.0)] + i1 + i2
    nodes = [
        helper.make_node("Conv", ["input", "dw.weight"], ["dw"], "/dw/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         strides=[1, 1], group=channels),
        bn1,
        helper.make_node("Clip", ["b1", "zero", "six"], ["r1"], "/act1/Clip"),
        helper.make_node("Conv", ["r1", "pw.weight"], ["pw"], "/pw/Conv", kernel_shape=[1, 1]),
        bn2,
        helper.make_node("Clip", ["b2", "zero", "six"], ["output"], "/act2/Clip"),
    ]
    return network("depthwise_block", nodes, [value("input", ["batch", channels, 13, 11])],
                   [value("output", ["batch", out_channels, 13, 11])], init, 13)


def windows_model(seed=61):
    rng = np.random.default_rng(seed)
    init = [
        weights(rng, "s2.weight", (4, 1, 3, 3)), weights(rng, "s2.bias", (4,), 0.1),
        weights(rng, "k5.weight", (8, 1, 5, 5)), weights(rng, "k5.bias", (8,), 0.1),
        weights(rng, "d2.weight", (8, 1, 3, 3)),
        weights(rng, "valid.weight", (8, 1, 3, 3)), weights(rng, "valid.bias", (8,), 0.1),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "s2.weight", "s2.bias"], ["s2"], "/s2/Conv", kernel_shape=[3, 3],
                         pads=[1, 0, 1, 2], strides=[2, 2], group=4),
        helper.make_node("Relu", ["s2"], ["r"], "/s2/Relu"),
        helper.make_node("Conv", ["r", "k5.weight", "k5.bias"], ["k5"], "/k5/Conv", kernel_shape=[5, 5],
                         pads=[2, 2, 2, 2], group=4),
        helper.make_node("Conv", ["k5", "d2.weight"], ["d2"], "/d2/Conv", kernel_shape=[3, 3], pads=[2, 2, 2, 2],
                         dilations=[2, 2], group=8),
        helper.make_node("Conv", ["d2", "valid.weight", "valid.bias"], ["valid"], "/valid/Conv", kernel_shape=[3, 3],
                         group=8),
        helper.make_node("LeakyRelu", ["valid"], ["output"], "/valid/LeakyRelu", alpha=0.1),
    ]
    return network("depthwise_windows", nodes, [value("input", ["batch", 4, 15, 17])],
                   [value("output", ["batch", 8, 6, 7])], init, 13)


def odd_model(seed=62):
    rng = np.random.default_rng(seed)
    init = [
        weights(rng, "k2.weight", (9, 1, 2, 2)), weights(rng, "k2.bias", (9,), 0.1),
        weights(rng, "s3.weight", (9, 1, 3, 3)),
        weights(rng, "k75.weight", (9, 1, 7, 5)), weights(rng, "k75.bias", (9,), 0.1),
        weights(rng, "k1.weight", (9, 1, 1, 1)),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "k2.weight", "k2.bias"], ["k2"], "/k2/Conv", kernel_shape=[2, 2],
                         strides=[3, 3], group=3),
        helper.make_node("Conv", ["k2", "s3.weight"], ["s3"], "/s3/Conv", kernel_shape=[3, 3], strides=[3, 3],
                         auto_pad="SAME_UPPER", group=9),
        helper.make_node("Conv", ["k2", "k75.weight", "k75.bias"], ["k75"], "/k75/Conv", kernel_shape=[7, 5],
                         pads=[3, 4, 2, 1], dilations=[1, 2], group=9),
        helper.make_node("Sigmoid", ["k75"], ["sig"], "/k75/Sigmoid"),
        helper.make_node("Conv", ["sig", "k1.weight"], ["k1"], "/k1/Conv", kernel_shape=[1, 1], group=9),
        helper.make_node("Flatten", ["k1"], ["f1"], "/Flatten", axis=1),
        helper.make_node("Flatten", ["s3"], ["f3"], "/Flatten_1", axis=1),
        helper.make_node("Concat", ["f1", "f3"], ["output"], "/Concat", axis=1),
    ]
    return network("depthwise_odd", nodes, [value("input", ["batch", 3, 20, 19])],
                   [value("output", ["batch", 9 * 6 * 3 + 9 * 3 * 2])], init, 13)


def pair_model(seed=64, channels=6):
    rng = np.random.default_rng(seed)
    bn1, i1 = batch_norm(rng, "bn1", "dw2", "b1", 12)
    bn2, i2 = batch_norm(rng, "bn2", "pw2", "output", 10)
    init = [
        weights(rng, "dw1.weight", (channels * 2, 1, 3, 3)), weights(rng, "dw1.bias", (channels * 2,), 0.1),
        weights(rng, "pw1.weight", (12, channels * 2, 1, 1)), weights(rng, "pw1.bias", (12,), 0.1),
        weights(rng, "dw2.weight", (12, 1, 5, 5)), weights(rng, "pw2.weight", (10, 12, 1, 1)),
        floats("zero", 0.0), floats("six", 6.0),
    ] + i1 + i2
    nodes = [
        helper.make_node("Conv", ["input", "dw1.weight", "dw1.bias"], ["dw1"], "/dw1/Conv", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], group=channels),
        helper.make_node("Relu", ["dw1"], ["r1"], "/dw1/Relu"),
        helper.make_node("Conv", ["r1", "pw1.weight", "pw1.bias"], ["pw1"], "/pw1/Conv", kernel_shape=[1, 1],
                         pads=[0, 0, 0, 0], strides=[1, 1]),
        helper.make_node("Relu", ["pw1"], ["r2"], "/pw1/Relu"),
        helper.make_node("Conv", ["r2", "dw2.weight"], ["dw2"], "/dw2/Conv", kernel_shape=[5, 5], pads=[2, 2, 2, 2],
                         strides=[2, 2], group=12),
        bn1,
        helper.make_node("Clip", ["b1", "zero", "six"], ["middle"], "/act/Clip"),
        helper.make_node("Conv", ["middle", "pw2.weight"], ["pw2"], "/pw2/Conv", kernel_shape=[1, 1]),
        bn2,
    ]
    return network("depthwise_separable_pair", nodes, [value("input", ["batch", channels, 12, 10])],
                   [value("output", ["batch", 10, 6, 5]), value("middle", ["batch", 12, 6, 5])], init, 13)


def inverted_residual_model(seed=65, channels=8):
    """A MobileNetV2 inverted residual: depthwise 3x3 -> BN -> Clip(0, 6) -> pointwise 1x1 -> BN ->
    Add(input). The Add fuses into the pointwise Conv as its residual, so the pair stays unfused."""
    rng = np.random.default_rng(seed)
    bn1, i1 = batch_norm(rng, "bn1", "dw", "b1", channels)
    bn2, i2 = batch_norm(rng, "bn2", "pw", "b2", channels)
    init = [weights(rng, "dw.weight", (channels, 1, 3, 3)), weights(rng, "pw.weight", (channels, channels, 1, 1)),
            floats("zero", 0.0), floats("six", 6.0)] + i1 + i2
    nodes = [
        helper.make_node("Conv", ["input", "dw.weight"], ["dw"], "/dw/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         group=channels),
        bn1,
        helper.make_node("Clip", ["b1", "zero", "six"], ["r1"], "/act1/Clip"),
        helper.make_node("Conv", ["r1", "pw.weight"], ["pw"], "/pw/Conv", kernel_shape=[1, 1]),
        bn2,
        helper.make_node("Add", ["b2", "input"], ["output"], "/Add"),
    ]
    return network("depthwise_inverted_residual", nodes, [value("input", ["batch", channels, 9, 7])],
                   [value("output", ["batch", channels, 9, 7])], init, 13)


def pointwise_model(seed=66):
    rng = np.random.default_rng(seed)
    init = [
        weights(rng, "a.weight", (13, 3, 1, 1)), weights(rng, "a.bias", (13,), 0.1),
        weights(rng, "b.weight", (300, 13, 1, 1)),
        weights(rng, "c.weight", (7, 300, 1, 1)), weights(rng, "c.bias", (7,), 0.1),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "a.weight", "a.bias"], ["a"], "/a/Conv", kernel_shape=[1, 1]),
        helper.make_node("Relu", ["a"], ["ra"], "/a/Relu"),
        helper.make_node("Conv", ["ra", "b.weight"], ["b"], "/b/Conv", kernel_shape=[1, 1], pads=[0, 0, 0, 0]),
        helper.make_node("Conv", ["b", "c.weight", "c.bias"], ["c"], "/c/Conv", kernel_shape=[1, 1], strides=[1, 1]),
        helper.make_node("Sigmoid", ["c"], ["output"], "/c/Sigmoid"),
    ]
    return network("pointwise_odd", nodes, [value("input", ["batch", 3, 7, 9])],
                   [value("output", ["batch", 7, 7, 9])], init, 13)


def separable_odd_model(seed=67, channels=10, out_channels=19):
    rng = np.random.default_rng(seed)
    init = [
        weights(rng, "dw.weight", (channels, 1, 3, 3)), weights(rng, "dw.bias", (channels,), 0.1),
        weights(rng, "pw.weight", (out_channels, channels, 1, 1)), weights(rng, "pw.bias", (out_channels,), 0.1),
        floats("zero", 0.0), floats("six", 6.0),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "dw.weight", "dw.bias"], ["dw"], "/dw/Conv", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], group=channels),
        helper.make_node("Clip", ["dw", "zero", "six"], ["r"], "/dw/Clip"),
        helper.make_node("Conv", ["r", "pw.weight", "pw.bias"], ["pw"], "/pw/Conv", kernel_shape=[1, 1]),
        helper.make_node("LeakyRelu", ["pw"], ["output"], "/pw/LeakyRelu", alpha=0.2),
    ]
    return network("depthwise_separable_odd", nodes, [value("input", ["batch", channels, 9, 11])],
                   [value("output", ["batch", out_channels, 9, 11])], init, 13)


def main():
    rng = np.random.default_rng(63)
    x = rng.normal(size=(8, 8, 13, 11)).astype(np.float32) * 2
    x[0] = 0
    x[1] = 40
    write_case("depthwise_block", block_model(), x, "depthwise")
    x = rng.normal(size=(8, 4, 15, 17)).astype(np.float32)
    x[0] = -3
    write_case("depthwise_windows", windows_model(), x, "depthwise")
    x = rng.normal(size=(8, 3, 20, 19)).astype(np.float32)
    write_case("depthwise_odd", odd_model(), x, "depthwise")
    x = rng.normal(size=(8, 6, 12, 10)).astype(np.float32)
    x[0] = 0
    write_case("depthwise_separable_pair", pair_model(), x, "depthwise")
    x = rng.normal(size=(8, 8, 9, 7)).astype(np.float32)
    write_case("depthwise_inverted_residual", inverted_residual_model(), x, "depthwise")
    x = rng.normal(size=(3, 3, 7, 9)).astype(np.float32)
    write_case("pointwise_odd", pointwise_model(), x, "depthwise")
    x = rng.normal(size=(3, 10, 9, 11)).astype(np.float32) * 2
    write_case("depthwise_separable_odd", separable_odd_model(), x, "depthwise")


if __name__ == "__main__":
    main()
