#!/usr/bin/env python3
"""Reference fixtures for the ONNX layout, upsampling and element-wise operators of issue 18,
checked by ONNXFixtureTests against onnxruntime's answers (fixed seeds):

    python3 scripts/make_layout_fixtures.py

upsampler: a decoder the way torch.onnx.export writes one (opset 17): reflect Pad with pads as
an input, Conv, ConvTranspose (stride 2, pads, output_padding), Resize (linear, half_pixel,
scales), InstanceNormalization, HardSwish, DepthToSpace (CRD) and SpaceToDepth, Tile, Trilu,
Celu and Sin, split by Split (split as an input) into two outputs.

resampler: the newer opsets' attributes (opset 19): Pad in wrap mode over `axes`, Resize with
`axes`, `sizes`, keep_aspect_ratio_policy not_larger and half_pixel_symmetric (linear), then
nearest round_prefer_ceil with asymmetric coordinates, cubic with exclude_outside, Mish, and
Split by num_outputs into uneven parts.
"""
import os
import sys

import numpy as np
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_onnx_fixtures import network, value, weights, write_case  # noqa: E402


def int64s(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def floats(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.float32), name)


def upsampler_model(seed=40):
    rng = np.random.default_rng(seed)
    init = [
        int64s("pads", [0, 0, 1, 1, 0, 0, 1, 1]),
        weights(rng, "conv.weight", (4, 2, 3, 3)), weights(rng, "conv.bias", (4,), 0.1),
        weights(rng, "up.weight", (4, 4, 3, 3)), weights(rng, "up.bias", (4,), 0.1),
        floats("scales", [1, 1, 0.75, 0.75]),
        weights(rng, "norm.scale", (4,), 1.0), weights(rng, "norm.bias", (4,), 0.1),
        int64s("repeats", [1, 1, 1, 2]),
        int64s("k", 1),
        int64s("split", [3, 1]),
    ]
    nodes = [
        helper.make_node("Pad", ["input", "pads"], ["padded"], "/pad/Pad", mode="reflect"),
        helper.make_node("Conv", ["padded", "conv.weight", "conv.bias"], ["c"], "/conv/Conv", kernel_shape=[3, 3]),
        helper.make_node("ConvTranspose", ["c", "up.weight", "up.bias"], ["u"], "/up/ConvTranspose",
                         kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
        helper.make_node("Resize", ["u", "", "scales"], ["r"], "/Resize", mode="linear",
                         coordinate_transformation_mode="half_pixel"),
        helper.make_node("InstanceNormalization", ["r", "norm.scale", "norm.bias"], ["n"], "/norm/InstanceNorm",
                         epsilon=1e-5),
        helper.make_node("HardSwish", ["n"], ["h"], "/act/HardSwish"),
        helper.make_node("DepthToSpace", ["h"], ["d"], "/DepthToSpace", blocksize=2, mode="CRD"),
        helper.make_node("Celu", ["d"], ["e"], "/act2/Celu", alpha=0.5),
        helper.make_node("SpaceToDepth", ["e"], ["s"], "/SpaceToDepth", blocksize=2),
        helper.make_node("Tile", ["s", "repeats"], ["t"], "/Tile"),
        helper.make_node("Trilu", ["t", "k"], ["l"], "/Trilu", upper=0),
        helper.make_node("Sin", ["l"], ["w"], "/Sin"),
        helper.make_node("Split", ["w", "split"], ["first", "last"], "/Split", axis=1),
    ]
    return network("upsampler", nodes, [value("input", ["batch", 2, 6, 6])],
                   [value("first", ["batch", 3, 9, 18]), value("last", ["batch", 1, 9, 18])], init, 17)


def resampler_model():
    init = [
        int64s("pads", [1, 2, 0, 1]),
        int64s("pad_axes", [2, 3]),
        int64s("sizes", [7, 9]),
        floats("grow", [1, 1, 1.5, 1.25]),
        floats("shrink", [1, 1, 0.8, 0.6]),
    ]
    nodes = [
        helper.make_node("Pad", ["input", "pads", "", "pad_axes"], ["p"], "/Pad", mode="wrap"),
        helper.make_node("Resize", ["p", "", "", "sizes"], ["r"], "/Resize", mode="linear", axes=[2, 3],
                         keep_aspect_ratio_policy="not_larger", coordinate_transformation_mode="half_pixel_symmetric"),
        helper.make_node("Resize", ["r", "", "grow"], ["n"], "/Resize_1", mode="nearest",
                         nearest_mode="round_prefer_ceil", coordinate_transformation_mode="asymmetric"),
        helper.make_node("Resize", ["n", "", "shrink"], ["c"], "/Resize_2", mode="cubic", exclude_outside=1,
                         cubic_coeff_a=-0.5),
        helper.make_node("Mish", ["c"], ["m"], "/Mish"),
        helper.make_node("Split", ["m"], ["a", "b", "c3"], "/Split", axis=2, num_outputs=3),
    ]
    return network("resampler", nodes, [value("input", ["batch", 2, 5, 6])],
                   [value("a", None), value("b", None), value("c3", None)], init, 19)


def main():
    rng = np.random.default_rng(41)
    x = rng.normal(size=(8, 2, 6, 6)).astype(np.float32)
    x[0] = 0
    x[1] = 3
    write_case("upsampler", upsampler_model(), x, "decoder", rtol=1e-5)
    x = rng.normal(size=(8, 2, 5, 6)).astype(np.float32)
    x[0] = 0
    write_case("resampler", resampler_model(), x, "resampler", rtol=1e-5)


if __name__ == "__main__":
    main()
