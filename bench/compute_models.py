#!/usr/bin/env python3
"""The compute benchmark's ONNX models (issue #19), built with onnx.helper from fixed seeds in the
shapes PyTorch's exporter writes them, so every tool times the same graphs:

  wide_mlp         256-2048-2048-10, Gemm (transB=1, as torch's Linear) + Relu; 4.7 M weights
  resnet_block     a ResNet basic block at 64 channels: Conv 3x3 -> BatchNormalization -> Relu ->
                   Conv 3x3 -> BatchNormalization -> Add(skip) -> Relu, on [N, 64, 56, 56]
  mobilenet_block  a MobileNet depthwise-separable block: depthwise Conv 3x3 (group = 64) -> BN ->
                   Clip(0, 6) -> pointwise Conv 1x1 64->128 -> BN -> Clip(0, 6), on [N, 64, 56, 56]
  bert_layer       a post-norm BERT encoder layer, hidden 256, 4 heads, sequence 128, feed-forward
                   1024, with LayerNorm and tanh-GELU decomposed into primitive operators (as
                   torch.onnx.export writes them below opset 17) and MatMul attention with a
                   Transpose of K, Softmax over the last axis; on [N, 128, 256]

`python3 bench/compute_models.py OUT_DIR` writes <name>.onnx for each.
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

OPSET = 13


def _floats(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.float32), name)


def _ints(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.int64), name)


def _model(name, nodes, x_shape, y_shape, init):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="sluice-bench")
    model.ir_version = 8
    return model


def wide_mlp(seed=190, widths=(256, 2048, 2048, 10)):
    rng = np.random.default_rng(seed)
    nodes, init, h = [], [], "x"
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        init += [_floats(f"w{i}", rng.normal(scale=1 / np.sqrt(a), size=[b, a])),
                 _floats(f"b{i}", 0.1 * rng.normal(size=b))]
        out = "y" if i == len(widths) - 2 else f"g{i}"
        nodes.append(helper.make_node("Gemm", [h, f"w{i}", f"b{i}"], [out], transB=1))
        if out != "y":
            nodes.append(helper.make_node("Relu", [out], [f"h{i}"]))
            h = f"h{i}"
    return _model("wide_mlp", nodes, ["batch", widths[0]], ["batch", widths[-1]], init)


def _conv_bn(rng, prefix, x, out, cin, cout, kernel, group=1):
    """Conv (no bias, as torch's Conv before a BatchNorm) then BatchNormalization in eval mode."""
    pad = kernel // 2
    init = [
        _floats(f"{prefix}_w", rng.normal(scale=np.sqrt(2 / (cin // group * kernel * kernel)),
                                          size=[cout, cin // group, kernel, kernel])),
        _floats(f"{prefix}_scale", 1 + 0.1 * rng.normal(size=cout)),
        _floats(f"{prefix}_bias", 0.1 * rng.normal(size=cout)),
        _floats(f"{prefix}_mean", 0.1 * rng.normal(size=cout)),
        _floats(f"{prefix}_var", 0.5 + rng.random(size=cout)),
    ]
    nodes = [
        helper.make_node("Conv", [x, f"{prefix}_w"], [f"{prefix}_conv"], kernel_shape=[kernel, kernel],
                         pads=[pad] * 4, strides=[1, 1], group=group),
        helper.make_node("BatchNormalization", [f"{prefix}_conv", f"{prefix}_scale", f"{prefix}_bias",
                                                f"{prefix}_mean", f"{prefix}_var"], [out], epsilon=1e-5),
    ]
    return nodes, init


def resnet_block(seed=191, channels=64, size=56):
    rng = np.random.default_rng(seed)
    n1, i1 = _conv_bn(rng, "c1", "x", "bn1", channels, channels, 3)
    n2, i2 = _conv_bn(rng, "c2", "r1", "bn2", channels, channels, 3)
    nodes = n1 + [helper.make_node("Relu", ["bn1"], ["r1"])] + n2 + [
        helper.make_node("Add", ["bn2", "x"], ["sum"]),
        helper.make_node("Relu", ["sum"], ["y"]),
    ]
    shape = ["batch", channels, size, size]
    return _model("resnet_block", nodes, shape, shape, i1 + i2)


def mobilenet_block(seed=192, channels=64, out_channels=128, size=56):
    rng = np.random.default_rng(seed)
    n1, i1 = _conv_bn(rng, "dw", "x", "bn1", channels, channels, 3, group=channels)
    n2, i2 = _conv_bn(rng, "pw", "r1", "bn2", channels, out_channels, 1)
    six = [_floats("zero", 0.0), _floats("six", 6.0)]
    nodes = n1 + [helper.make_node("Clip", ["bn1", "zero", "six"], ["r1"])] + n2 + [
        helper.make_node("Clip", ["bn2", "zero", "six"], ["y"])]
    return _model("mobilenet_block", nodes, ["batch", channels, size, size], ["batch", out_channels, size, size],
                  i1 + i2 + six)


def bert_layer(seed=193, seq=128, hidden=256, heads=4, ffn=1024):
    rng = np.random.default_rng(seed)
    d = hidden // heads
    n = helper.make_node
    init = [_floats("eps", 1e-12), _floats("two", 2.0), _floats("half", 0.5),
            _floats("one", 1.0), _floats("gelu_c", np.sqrt(2 / np.pi)), _floats("gelu_k", 0.044715),
            _floats("three", 3.0), _floats("scale", 1 / np.sqrt(d)),
            _ints("heads_shape", [0, seq, heads, d]), _ints("merged_shape", [0, seq, hidden])]
    nodes = []

    def linear(name, x, a, b):
        init.extend([_floats(f"{name}_w", rng.normal(scale=1 / np.sqrt(a), size=[a, b])),
                     _floats(f"{name}_b", 0.1 * rng.normal(size=b))])
        nodes.extend([n("MatMul", [x, f"{name}_w"], [f"{name}_mm"]), n("Add", [f"{name}_mm", f"{name}_b"], [name])])
        return name

    def layer_norm(name, x):
        init.extend([_floats(f"{name}_g", 1 + 0.1 * rng.normal(size=hidden)),
                     _floats(f"{name}_b", 0.1 * rng.normal(size=hidden))])
        nodes.extend([
            n("ReduceMean", [x], [f"{name}_mean"], axes=[-1], keepdims=1),
            n("Sub", [x, f"{name}_mean"], [f"{name}_d"]),
            n("Pow", [f"{name}_d", "two"], [f"{name}_sq"]),
            n("ReduceMean", [f"{name}_sq"], [f"{name}_var"], axes=[-1], keepdims=1),
            n("Add", [f"{name}_var", "eps"], [f"{name}_ve"]),
            n("Sqrt", [f"{name}_ve"], [f"{name}_std"]),
            n("Div", [f"{name}_d", f"{name}_std"], [f"{name}_norm"]),
            n("Mul", [f"{name}_norm", f"{name}_g"], [f"{name}_scaled"]),
            n("Add", [f"{name}_scaled", f"{name}_b"], [name]),
        ])
        return name

    heads_of = {}
    for p in "qkv":
        flat = linear(p, "x", hidden, hidden)
        nodes.append(n("Reshape", [flat, "heads_shape"], [f"{p}_split"]))
        perm = [0, 2, 3, 1] if p == "k" else [0, 2, 1, 3]
        nodes.append(n("Transpose", [f"{p}_split"], [f"{p}_heads"], perm=perm))
        heads_of[p] = f"{p}_heads"
    nodes += [
        n("MatMul", [heads_of["q"], heads_of["k"]], ["scores_raw"]),
        n("Mul", ["scores_raw", "scale"], ["scores"]),
        n("Softmax", ["scores"], ["attention"], axis=-1),
        n("MatMul", ["attention", heads_of["v"]], ["context_heads"]),
        n("Transpose", ["context_heads"], ["context_split"], perm=[0, 2, 1, 3]),
        n("Reshape", ["context_split", "merged_shape"], ["context"]),
    ]
    attended = linear("o", "context", hidden, hidden)
    nodes.append(n("Add", ["x", attended], ["res1"]))
    h1 = layer_norm("ln1", "res1")
    f1 = linear("f1", h1, hidden, ffn)
    nodes += [  # 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
        n("Pow", [f1, "three"], ["g_cube"]),
        n("Mul", ["g_cube", "gelu_k"], ["g_kc"]),
        n("Add", [f1, "g_kc"], ["g_inner"]),
        n("Mul", ["g_inner", "gelu_c"], ["g_arg"]),
        n("Tanh", ["g_arg"], ["g_tanh"]),
        n("Add", ["g_tanh", "one"], ["g_onep"]),
        n("Mul", [f1, "g_onep"], ["g_prod"]),
        n("Mul", ["g_prod", "half"], ["gelu"]),
    ]
    f2 = linear("f2", "gelu", ffn, hidden)
    nodes.append(n("Add", [h1, f2], ["res2"]))
    layer_norm("y", "res2")
    shape = ["batch", seq, hidden]
    return _model("bert_layer", nodes, shape, shape, init)


MODELS = {"wide_mlp": wide_mlp, "resnet_block": resnet_block, "mobilenet_block": mobilenet_block,
          "bert_layer": bert_layer}
# Input shape without the batch, for the benchmark's rows.
INPUT_SHAPES = {"wide_mlp": [256], "resnet_block": [64, 56, 56], "mobilenet_block": [64, 56, 56],
                "bert_layer": [128, 256]}


def write(folder, name):
    path = os.path.join(folder, f"{name}.onnx")
    with open(path, "wb") as f:
        f.write(MODELS[name]().SerializeToString())
    return path


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    for name in MODELS:
        print(write(out, name))
