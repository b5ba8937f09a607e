#!/usr/bin/env python3
"""Writes the convolution fixtures for SluiceBackendsTests (issue 19: Winograd F(2x2, 3x3) and the
residual fused into a Conv), in the format scripts/make_onnx_fixtures.py's docstring describes
(model.onnx, input.json, expected.json under Tests/SluiceBackendsTests/Fixtures/onnx/<case>/),
with onnxruntime's answers (one thread, graph optimisations off). 8 images, dynamic batch.

  conv_winograd           x [batch, 5, 9, 11]: Conv 3x3 5->7 pads 1 with bias -> Relu ->
                          Conv 3x3 7->6 without bias, asymmetric pads [0, 2, 1, 0] (begin H, W,
                          end H, W) -> Tanh. Channels not multiples of 8; odd sizes that leave
                          half tiles at the bottom and right.
  conv_winograd_residual  x [batch, 12, 13, 7]: the ResNet basic block, Conv 3x3 -> BN -> Relu ->
                          Conv 3x3 -> BN -> Add(skip x) -> Relu, and a second Add whose Conv
                          comes second: Add(Relu output, Conv 3x3 without bias) -> LeakyRelu.
  conv_winograd_wide      x [batch, 4, 3, 261]: one tile row wider than a Winograd block (131
                          tiles), Conv 3x3 pads 1 4->3 with bias -> Clip(0, 6).

Seeded, single-threaded; a rerun with the same libraries writes the same files.
Needs: pip install onnx onnxruntime numpy
Run: python3 scripts/make_conv_fixtures.py
"""
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from onnx import helper, numpy_helper  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_onnx_fixtures import network, value, weights, write_case  # noqa: E402


def batch_norm(rng, prefix, channels):
    return [
        numpy_helper.from_array(rng.uniform(0.5, 1.5, channels).astype(np.float32), f"{prefix}.weight"),
        numpy_helper.from_array((rng.normal(size=channels) * 0.1).astype(np.float32), f"{prefix}.bias"),
        numpy_helper.from_array((rng.normal(size=channels) * 0.2).astype(np.float32), f"{prefix}.running_mean"),
        numpy_helper.from_array(rng.uniform(0.5, 2, channels).astype(np.float32), f"{prefix}.running_var"),
    ]


def bn_node(prefix, x, y):
    return helper.make_node(
        "BatchNormalization",
        [x, f"{prefix}.weight", f"{prefix}.bias", f"{prefix}.running_mean", f"{prefix}.running_var"],
        [y], f"/{prefix}/BatchNormalization", epsilon=1e-5)


def conv_winograd(seed=190):
    rng = np.random.default_rng(seed)
    init = [weights(rng, "c1.weight", (7, 5, 3, 3)), weights(rng, "c1.bias", (7,), 0.1),
            weights(rng, "c2.weight", (6, 7, 3, 3))]
    nodes = [
        helper.make_node("Conv", ["x", "c1.weight", "c1.bias"], ["c1"], "/c1/Conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], "/relu1/Relu"),
        helper.make_node("Conv", ["r1", "c2.weight"], ["c2"], "/c2/Conv", pads=[0, 2, 1, 0]),
        helper.make_node("Tanh", ["c2"], ["y"], "/Tanh"),
    ]
    model = network("conv_winograd", nodes, [value("x", ["batch", 5, 9, 11])],
                    [value("y", ["batch", 6, 8, 11])], init, 13)
    x = rng.normal(size=(8, 5, 9, 11)).astype(np.float32)
    write_case("conv_winograd", model, x, "regression")


def conv_winograd_residual(seed=191, channels=12):
    rng = np.random.default_rng(seed)
    init = [weights(rng, "c1.weight", (channels, channels, 3, 3)), weights(rng, "c1.bias", (channels,), 0.1),
            weights(rng, "c2.weight", (channels, channels, 3, 3)), weights(rng, "c2.bias", (channels,), 0.1),
            weights(rng, "c3.weight", (channels, channels, 3, 3))]
    init += batch_norm(rng, "bn1", channels) + batch_norm(rng, "bn2", channels)
    pads = dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    nodes = [
        helper.make_node("Conv", ["x", "c1.weight", "c1.bias"], ["c1"], "/c1/Conv", **pads),
        bn_node("bn1", "c1", "b1"),
        helper.make_node("Relu", ["b1"], ["r1"], "/relu1/Relu"),
        helper.make_node("Conv", ["r1", "c2.weight", "c2.bias"], ["c2"], "/c2/Conv", **pads),
        bn_node("bn2", "c2", "b2"),
        helper.make_node("Add", ["b2", "x"], ["sum"], "/Add"),
        helper.make_node("Relu", ["sum"], ["r2"], "/relu2/Relu"),
        helper.make_node("Conv", ["r2", "c3.weight"], ["c3"], "/c3/Conv", **pads),
        helper.make_node("Add", ["r1", "c3"], ["sum2"], "/Add2"),
        helper.make_node("LeakyRelu", ["sum2"], ["y"], "/LeakyRelu", alpha=0.1),
    ]
    shape = ["batch", channels, 13, 7]
    model = network("conv_winograd_residual", nodes, [value("x", shape)], [value("y", shape)], init, 13)
    x = rng.normal(size=(8, channels, 13, 7)).astype(np.float32)
    write_case("conv_winograd_residual", model, x, "regression")


def conv_winograd_wide(seed=192):
    rng = np.random.default_rng(seed)
    init = [weights(rng, "c.weight", (3, 4, 3, 3)), weights(rng, "c.bias", (3,), 0.1),
            numpy_helper.from_array(np.float32(0), "zero"), numpy_helper.from_array(np.float32(6), "six")]
    nodes = [
        helper.make_node("Conv", ["x", "c.weight", "c.bias"], ["c"], "/c/Conv", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Clip", ["c", "zero", "six"], ["y"], "/Clip"),
    ]
    model = network("conv_winograd_wide", nodes, [value("x", ["batch", 4, 3, 261])],
                    [value("y", ["batch", 3, 3, 261])], init, 13)
    x = (rng.normal(size=(8, 4, 3, 261)) * 3).astype(np.float32)
    write_case("conv_winograd_wide", model, x, "regression")


def main():
    conv_winograd()
    conv_winograd_residual()
    conv_winograd_wide()


if __name__ == "__main__":
    main()
