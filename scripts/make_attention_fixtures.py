#!/usr/bin/env python3
"""Writes the fixtures of the load-time pattern fusions (GraphCompiler+PatternFusion.swift: decomposed
LayerNorm and GELU as torch.onnx.export writes them) for SluiceBackendsTests, in the format
scripts/make_onnx_fixtures.py's docstring describes (model.onnx, input.json, expected.json under
Tests/SluiceBackendsTests/Fixtures/onnx/<case>/), with onnxruntime's answers (one thread, graph
optimisations off). The batch dimension is dynamic; 8 rows (onnxruntime also runs 1 and 0).

  bert_decomposed        bench/compute_models.py's `bert_layer` (the benchmark's BERT layer: decomposed
                         LayerNorm with Pow 2 and eps 1e-12, tanh GELU with Pow 3, MatMul attention with
                         K transposed by perm 0,2,3,1), at sequence 6, hidden 16, 2 heads, ffn 64; opset 13.
  gelu_layernorm_forms   x [batch, 6, 16] at opset 18 (ReduceMean's axes an input): self-attention with
                         K transposed in two steps and the scores divided by √d; three MatMul+Add
                         layers with GELU in the other spellings: exact x·(Erf(x/√2)+1)·0.5 as torch
                         writes it; tanh with x³ as x·(x·x), constants on the left, 0.5·(x·(1+tanh));
                         exact with x·(1/√2) and (x·0.5)·(1+erf). Then LayerNorm with ε, γ and β on the
                         left of their Add and Mul, and one without β.
  pattern_near_misses    x [batch, 6, 16] at opset 13: patterns that must NOT fuse: a LayerNorm whose
                         normalised value is also a graph output, one with ε added after the Sqrt, one
                         over axis 1; a tanh GELU with 0.04 for 0.044715, an exact GELU whose Erf output
                         is a graph output; self-attention with Softmax over axis 2.
  layernorm_broadcast    x [batch, 6, width], width dynamic and 1 here, at opset 13: a decomposed LayerNorm
                         with γ and β of 16 values, whose Mul and Add broadcast the one normalised value of
                         each row (0) to 16 (onnxruntime answers [batch, 6, 16]; the fused kernel must
                         too), then a second LayerNorm over those 16. ONNXPatternFusionTests also runs it
                         at widths 16 (the usual case), 3 and 0 (refused, fused or not).

Seeded, single-threaded; a rerun with the same libraries writes the same files.
Needs: pip install onnx onnxruntime numpy
Run: python3 scripts/make_attention_fixtures.py
"""
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
from compute_models import bert_layer  # noqa: E402
from make_transformer_fixtures import write_case  # noqa: E402

ROWS, SEQ, HIDDEN = 8, 6, 16
n = helper.make_node


def floats(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.float32), name)


def ints(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.int64), name)


def model_of(name, nodes, outputs, initializers, opset, width=HIDDEN):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", SEQ, width])
    graph = helper.make_graph(nodes, name, [x], outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="sluice-fixtures")
    model.ir_version = 8
    return onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)


def out(name, shape=("batch", SEQ, HIDDEN)):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def linear(rng, init, nodes, name, x, a=HIDDEN, b=HIDDEN):
    init += [floats(f"{name}_w", rng.normal(scale=1 / np.sqrt(a), size=[a, b])),
             floats(f"{name}_b", 0.5 * rng.normal(size=b))]
    nodes += [n("MatMul", [x, f"{name}_w"], [f"{name}_mm"]), n("Add", [f"{name}_mm", f"{name}_b"], [name])]
    return name


def norm_params(rng, init, name):
    init += [floats(f"{name}_g", 1 + 0.1 * rng.normal(size=HIDDEN)), floats(f"{name}_beta", 0.1 * rng.normal(size=HIDDEN))]


def decomposed_layer_norm(rng, init, nodes, name, x, axes=(-1,), eps_after_sqrt=False):
    """LayerNorm as torch.onnx.export writes it below opset 17 (ReduceMean with axes as an attribute,
    opset 13; "eps" and "two" among the initializers), γ and β of HIDDEN values, ε added before the
    Sqrt (or, a look-alike, after it). Returns the output's name, `name`."""
    norm_params(rng, init, name)
    nodes.extend([
        n("ReduceMean", [x], [f"{name}_mean"], axes=list(axes), keepdims=1),
        n("Sub", [x, f"{name}_mean"], [f"{name}_d"]),
        n("Pow", [f"{name}_d", "two"], [f"{name}_sq"]),
        n("ReduceMean", [f"{name}_sq"], [f"{name}_var"], axes=list(axes), keepdims=1)])
    if eps_after_sqrt:
        nodes.extend([n("Sqrt", [f"{name}_var"], [f"{name}_sd"]), n("Add", [f"{name}_sd", "eps"], [f"{name}_std"])])
    else:
        nodes.extend([n("Add", [f"{name}_var", "eps"], [f"{name}_ve"]), n("Sqrt", [f"{name}_ve"], [f"{name}_std"])])
    nodes.extend([
        n("Div", [f"{name}_d", f"{name}_std"], [f"{name}_norm"]),
        n("Mul", [f"{name}_norm", f"{name}_g"], [f"{name}_scaled"]),
        n("Add", [f"{name}_scaled", f"{name}_beta"], [name])])
    return name


def attention(rng, init, nodes, name, x, two_transposes=False, divide=False, axis=-1, heads=2):
    """Self-attention on x [batch, SEQ, HIDDEN] as torch.onnx.export writes it: Q, K, V projections
    split into heads by Reshape and Transpose (K by 0,2,3,1, or by 0,2,1,3 then 0,1,3,2), scores
    times 1/√d (or divided by √d), Softmax over `axis`, context transposed back and merged."""
    d = HIDDEN // heads
    init += [ints(f"{name}_heads", [0, 0, heads, d]), ints(f"{name}_merged", [0, 0, HIDDEN]),
             floats(f"{name}_scale", np.sqrt(d) if divide else 1 / np.sqrt(d))]
    split = {}
    for p in "qkv":
        flat = linear(rng, init, nodes, f"{name}_{p}", x)
        nodes.append(n("Reshape", [flat, f"{name}_heads"], [f"{name}_{p}_split"]))
        if p == "k" and not two_transposes:
            nodes.append(n("Transpose", [f"{name}_k_split"], [f"{name}_k_t"], perm=[0, 2, 3, 1]))
            split[p] = f"{name}_k_t"
            continue
        nodes.append(n("Transpose", [f"{name}_{p}_split"], [f"{name}_{p}_h"], perm=[0, 2, 1, 3]))
        split[p] = f"{name}_{p}_h"
    if two_transposes:
        nodes.append(n("Transpose", [split["k"]], [f"{name}_k_t"], perm=[0, 1, 3, 2]))
        split["k"] = f"{name}_k_t"
    nodes += [
        n("MatMul", [split["q"], split["k"]], [f"{name}_raw"]),
        n("Div" if divide else "Mul", [f"{name}_raw", f"{name}_scale"], [f"{name}_scores"]),
        n("Softmax", [f"{name}_scores"], [f"{name}_p"], axis=axis),
        n("MatMul", [f"{name}_p", split["v"]], [f"{name}_ctx_h"]),
        n("Transpose", [f"{name}_ctx_h"], [f"{name}_ctx_split"], perm=[0, 2, 1, 3]),
        n("Reshape", [f"{name}_ctx_split", f"{name}_merged"], [name]),
    ]
    return name


def gelu_layernorm_forms(seed=195):
    rng = np.random.default_rng(seed)
    init = [floats("sqrt2", np.sqrt(2)), floats("inv_sqrt2", 1 / np.sqrt(2)), floats("one", 1.0),
            floats("half", 0.5), floats("kappa", 0.044715), floats("beta", np.sqrt(2 / np.pi)),
            floats("eps", 1e-5), floats("two", 2.0), ints("last", [-1])]
    nodes = []
    a = attention(rng, init, nodes, "att", "x", two_transposes=True, divide=True)
    h = linear(rng, init, nodes, "l1", a)
    nodes += [  # torch's exact GELU: (x · (erf(x / √2) + 1)) · 0.5
        n("Div", [h, "sqrt2"], ["e1_arg"]), n("Erf", ["e1_arg"], ["e1_erf"]),
        n("Add", ["e1_erf", "one"], ["e1_onep"]), n("Mul", [h, "e1_onep"], ["e1_prod"]),
        n("Mul", ["e1_prod", "half"], ["g1"])]
    h = linear(rng, init, nodes, "l2", "g1")
    nodes += [  # torch's tanh GELU: 0.5 · (x · (1 + tanh(β · (x + κ · (x · (x · x))))))
        n("Mul", [h, h], ["t_sq"]), n("Mul", [h, "t_sq"], ["t_cube"]), n("Mul", ["kappa", "t_cube"], ["t_kc"]),
        n("Add", [h, "t_kc"], ["t_inner"]), n("Mul", ["beta", "t_inner"], ["t_arg"]), n("Tanh", ["t_arg"], ["t_tanh"]),
        n("Add", ["one", "t_tanh"], ["t_onep"]), n("Mul", [h, "t_onep"], ["t_prod"]),
        n("Mul", ["half", "t_prod"], ["g2"])]
    h = linear(rng, init, nodes, "l3", "g2")
    nodes += [  # exact GELU as (x · 0.5) · (1 + erf(x · (1/√2)))
        n("Mul", ["inv_sqrt2", h], ["e3_arg"]), n("Erf", ["e3_arg"], ["e3_erf"]),
        n("Add", ["one", "e3_erf"], ["e3_onep"]), n("Mul", [h, "half"], ["e3_half"]),
        n("Mul", ["e3_half", "e3_onep"], ["g3"])]
    # LayerNorm with ε, γ and β on the left, then one without β; axes as an input (opset 18).
    for name, x, bias in (("n1", "g3", True), ("y", "n1", False)):
        norm_params(rng, init, name)
        nodes += [
            n("ReduceMean", [x, "last"], [f"{name}_mean"], keepdims=1),
            n("Sub", [x, f"{name}_mean"], [f"{name}_d"]),
            n("Pow", [f"{name}_d", "two"], [f"{name}_sq"]),
            n("ReduceMean", [f"{name}_sq", "last"], [f"{name}_var"], keepdims=1),
            n("Add", ["eps", f"{name}_var"], [f"{name}_ve"]),
            n("Sqrt", [f"{name}_ve"], [f"{name}_std"]),
            n("Div", [f"{name}_d", f"{name}_std"], [f"{name}_norm"]),
            n("Mul", [f"{name}_g", f"{name}_norm"], [f"{name}_scaled" if bias else name]),
        ]
        if bias:
            nodes.append(n("Add", [f"{name}_beta", f"{name}_scaled"], [name]))
    init = [t for t in init if t.name != "y_beta"]
    return model_of("gelu_layernorm_forms", nodes, [out("y")], init, 18)


def pattern_near_misses(seed=196):
    rng = np.random.default_rng(seed)
    init = [floats("eps", 1e-5), floats("two", 2.0), floats("three", 3.0), floats("one", 1.0), floats("half", 0.5),
            floats("kappa_wrong", 0.04), floats("beta", np.sqrt(2 / np.pi)), floats("sqrt2", np.sqrt(2))]
    nodes = []
    a = attention(rng, init, nodes, "att", "x", axis=2)  # Softmax over the queries: not attention

    def layer_norm(name, x, axes=(-1,), eps_after_sqrt=False):
        return decomposed_layer_norm(rng, init, nodes, name, x, axes, eps_after_sqrt)

    h = layer_norm("ln1", a)  # ln1_norm is also a graph output
    h = layer_norm("ln2", h, eps_after_sqrt=True)
    h = layer_norm("ln3", h, axes=(1,))
    h = linear(rng, init, nodes, "l1", h)
    nodes += [  # tanh GELU with 0.04 for 0.044715
        n("Pow", [h, "three"], ["t_cube"]), n("Mul", ["t_cube", "kappa_wrong"], ["t_kc"]),
        n("Add", [h, "t_kc"], ["t_inner"]), n("Mul", ["t_inner", "beta"], ["t_arg"]), n("Tanh", ["t_arg"], ["t_tanh"]),
        n("Add", ["t_tanh", "one"], ["t_onep"]), n("Mul", [h, "t_onep"], ["t_prod"]), n("Mul", ["t_prod", "half"], ["g1"])]
    h = linear(rng, init, nodes, "l2", "g1")
    nodes += [  # exact GELU whose Erf output is a graph output
        n("Div", [h, "sqrt2"], ["e_arg"]), n("Erf", ["e_arg"], ["e_erf"]),
        n("Add", ["e_erf", "one"], ["e_onep"]), n("Mul", [h, "e_onep"], ["e_prod"]), n("Mul", ["e_prod", "half"], ["y"])]
    return model_of("pattern_near_misses", nodes, [out("y"), out("ln1_norm"), out("e_erf")], init, 13)


def layernorm_broadcast(seed=198):
    rng = np.random.default_rng(seed)
    init = [floats("eps", 1e-5), floats("two", 2.0)]
    nodes = []
    decomposed_layer_norm(rng, init, nodes, "n1", "x")
    decomposed_layer_norm(rng, init, nodes, "y", "n1")
    return model_of("layernorm_broadcast", nodes, [out("y")], init, 13, width="width")


def main():
    rng = np.random.default_rng(197)
    x = rng.normal(size=[ROWS, SEQ, HIDDEN]).astype(np.float32)
    bert = bert_layer(seed=194, seq=SEQ, hidden=HIDDEN, heads=2, ffn=4 * HIDDEN)
    write_case("bert_decomposed", bert, x, "BERT layer, LayerNorm and GELU decomposed")
    write_case("gelu_layernorm_forms", gelu_layernorm_forms(), x, "GELU and LayerNorm spellings that fuse")
    write_case("pattern_near_misses", pattern_near_misses(), x, "LayerNorm and GELU look-alikes that must not fuse")
    write_case("layernorm_broadcast", layernorm_broadcast(), x[:, :, :1],
               "decomposed LayerNorm over a last dimension of 1 whose γ and β widen it to 16")


if __name__ == "__main__":
    main()
