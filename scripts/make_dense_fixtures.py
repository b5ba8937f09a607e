#!/usr/bin/env python3
"""Writes the dense-layer fixture for SluiceBackendsTests (issue 19: Gemm and MatMul whose weights
are packed once at load and multiplied by Sluice's own kernels, which take B of 64 Ki elements or
more), in the format scripts/make_onnx_fixtures.py's docstring describes, with onnxruntime's
answers (one thread). 8 rows, dynamic batch.

  dense_packed  x [batch, 256]: Gemm transB=1 (W [257, 256], bias) -> Relu -> MatMul (W [257, 259])
                -> Add bias -> Tanh -> Gemm transB=0 alpha 0.5 beta 2 (W [259, 253], C [253]).
                Widths that are not multiples of the 16-column panels; every B above 64 Ki.

Seeded, single-threaded; a rerun with the same libraries writes the same files.
Needs: pip install onnx onnxruntime numpy
Run: python3 scripts/make_dense_fixtures.py
"""
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from onnx import helper  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_onnx_fixtures import network, value, weights, write_case  # noqa: E402


def dense_packed(seed=195):
    rng = np.random.default_rng(seed)
    init = [weights(rng, "w1", (257, 256)), weights(rng, "b1", (257,), 0.1),
            weights(rng, "w2", (257, 259), 1 / 16), weights(rng, "b2", (259,), 0.1),
            weights(rng, "w3", (259, 253), 1 / 16), weights(rng, "c3", (253,), 0.1)]
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["g1"], "/fc1/Gemm", transB=1),
        helper.make_node("Relu", ["g1"], ["r1"], "/relu/Relu"),
        helper.make_node("MatMul", ["r1", "w2"], ["m2"], "/fc2/MatMul"),
        helper.make_node("Add", ["m2", "b2"], ["a2"], "/fc2/Add"),
        helper.make_node("Tanh", ["a2"], ["t2"], "/tanh/Tanh"),
        helper.make_node("Gemm", ["t2", "w3", "c3"], ["y"], "/fc3/Gemm", alpha=0.5, beta=2.0),
    ]
    model = network("dense_packed", nodes, [value("x", ["batch", 256])], [value("y", ["batch", 253])], init, 13)
    x = rng.normal(size=(8, 256)).astype(np.float32)
    write_case("dense_packed", model, x, "regression")


def main():
    dense_packed()


if __name__ == "__main__":
    main()
