#!/usr/bin/env python3
"""Writes the transformer-era ONNX fixtures for SluiceBackendsTests (issue 18), in the format
scripts/make_onnx_fixtures.py's docstring describes (model.onnx, input.json, expected.json
under Tests/SluiceBackendsTests/Fixtures/onnx/<case>/), with onnxruntime's answers (one
thread, graph optimisations off). Graphs are built node by node with onnx.helper the way
torch.onnx.export writes them; the batch dimension is dynamic; 8 rows.

  transformer_block  x [batch, 6, 16]: a BERT-style encoder layer at opset 20.
                     Positions: Shape → Gather → Range(0, seq, 1) → Cast, scaled and added to x.
                     LayerNormalization (axis -1, with Mean and InvStdDev outputs requested but
                     unused), MatMul+Add projections, Reshape/Transpose to 2 heads,
                     Einsum "bhid,bhjd->bhij" scores, Softmax(-1), Einsum "bhij,bhjd->bhid",
                     output projection and residual, LayerNormalization, MatMul → Gelu
                     (approximate "none") → MatMul, residual.
                     Outputs: y [batch, 6, 16]; norms = ReduceL2(y, axes [-1], keepdims 0)
                     [batch, 6]; TopK(norms, K 3, axis -1) values and INT64 indices;
                     CumSum(ReduceMean(y, axes [2], keepdims 0), axis 1) [batch, 6].
  reductions         x [batch, 4, 5] at opset 20: Gelu (approximate "tanh"), the Reduce family
                     with axes as an input (SumSquare, LogSumExp, LogSum of |x|+1, Prod, L1, Max,
                     Min, Sum with noop_with_empty_axes and empty axes), CumSum exclusive and
                     reverse, TopK smallest along axis 1, ArgMax with select_last_index,
                     and the bilinear Einsum "bn,anm,bm->ba" and "bij,bjk->bik" (x by its transpose).

`transformer_model` also builds the benchmark's encoder layer (bench/backend_speed.py imports
it): hidden 256, 4 heads, sequence 128, MatMul attention.

Seeded, single-threaded; a rerun with the same libraries writes the same files.
Needs: pip install onnx onnxruntime numpy
Run: python3 scripts/make_transformer_fixtures.py
"""
import json
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "Tests", "SluiceBackendsTests", "Fixtures", "onnx")
OPSET = 20
ROWS = 8


def write_case(name, model, x, objective, rtol=1e-5, empty_batch=True):
    onnx.checker.check_model(model, full_check=True)
    data = model.SerializeToString()
    from make_onnx_fixtures import session, tensor  # onnxruntime and scikit-learn: only to write fixtures

    sess = session(data)
    (graph_input,) = sess.get_inputs()
    names = [o.name for o in sess.get_outputs()]
    results = sess.run(names, {graph_input.name: x})
    outputs = {}
    for output_name, value in zip(names, results):
        assert np.all(np.isfinite(value)), f"{name}: {output_name} has non-finite values"
        outputs[output_name] = tensor(value)
    # The batch dimension really is dynamic: 1 row and 0 rows run too (0 rows only where
    # onnxruntime survives it: its Einsum dies of SIGFPE on an empty batch, as of 1.23).
    for rows in (0, 1) if empty_batch else (1,):
        for got in sess.run(names, {graph_input.name: x[:rows]}):
            assert got.shape[0] == rows, f"{name}: {rows} rows answered {got.shape}"
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(data)
    with open(os.path.join(folder, "input.json"), "w") as f:
        json.dump({"name": graph_input.name, "datatype": "FP32", "shape": list(x.shape),
                   "rows": int(x.shape[0]), "cols": int(np.prod(x.shape[1:])),
                   "data": [float(v) for v in x.reshape(-1)]}, f)
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"objective": objective, "rtol": rtol, "output_names": names, "outputs": outputs}, f)
    print(f"{name:20s} {' '.join(sorted({n.op_type for n in model.graph.node}))}")


def weights(rng, name, shape, scale=None):
    scale = scale if scale is not None else 1 / np.sqrt(shape[0])
    return numpy_helper.from_array((rng.normal(size=shape) * scale).astype(np.float32), name)


def ints(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.int64), name)


def floats(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.float32), name)


def model_of(name, nodes, inputs, outputs, initializers):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="sluice-fixtures")
    model.ir_version = 9
    return onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)


def transformer_model(seed=30, seq=6, hidden=16, heads=2, ffn=None, einsum=True, extras=True,
                      gelu="none"):
    """One encoder layer, pre-norm BERT style; `einsum` False uses MatMul (with a Transpose of
    K) for the attention products, as torch.onnx.export writes them."""
    rng = np.random.default_rng(seed)
    ffn = ffn or 4 * hidden
    d = hidden // heads
    init = [
        floats("ln1_scale", 1 + 0.1 * rng.normal(size=hidden)), floats("ln1_bias", 0.1 * rng.normal(size=hidden)),
        floats("ln2_scale", 1 + 0.1 * rng.normal(size=hidden)), floats("ln2_bias", 0.1 * rng.normal(size=hidden)),
        weights(rng, "wq", [hidden, hidden]), floats("bq", 0.1 * rng.normal(size=hidden)),
        weights(rng, "wk", [hidden, hidden]), floats("bk", 0.1 * rng.normal(size=hidden)),
        weights(rng, "wv", [hidden, hidden]), floats("bv", 0.1 * rng.normal(size=hidden)),
        weights(rng, "wo", [hidden, hidden]), floats("bo", 0.1 * rng.normal(size=hidden)),
        weights(rng, "w1", [hidden, ffn]), floats("b1", 0.1 * rng.normal(size=ffn)),
        weights(rng, "w2", [ffn, hidden]), floats("b2", 0.1 * rng.normal(size=hidden)),
        floats("position_scale", 0.05 * rng.normal(size=hidden)),
        ints("heads_shape", [0, 0, heads, d]), ints("merged_shape", [0, 0, hidden]),
        floats("attention_scale", 1 / np.sqrt(d)),
        ints("zero", 0), ints("one", 1), ints("seq_axis", 1), ints("last_axis", [-1]),
        ints("hidden_axis", [2]), ints("k3", [3]), ints("cumsum_axis", 1),
    ]
    n = helper.make_node
    nodes = [
        # Positions 0..seq-1 from the input's own shape, times a learned vector, added to x.
        n("Shape", ["x"], ["x_shape"]),
        n("Gather", ["x_shape", "seq_axis"], ["seq_len"], axis=0),
        n("Range", ["zero", "seq_len", "one"], ["positions"]),
        n("Cast", ["positions"], ["positions_f"], to=TensorProto.FLOAT),
        n("Unsqueeze", ["positions_f", "last_axis"], ["positions_col"]),
        n("Mul", ["positions_col", "position_scale"], ["position_embedding"]),
        n("Add", ["x", "position_embedding"], ["h0"]),
        n("LayerNormalization", ["h0", "ln1_scale", "ln1_bias"], ["ln1", "ln1_mean", "ln1_inv_std"],
          axis=-1, epsilon=1e-5),
    ]
    for p in "qkv":
        nodes += [
            n("MatMul", ["ln1", f"w{p}"], [f"{p}_mm"]),
            n("Add", [f"{p}_mm", f"b{p}"], [f"{p}_flat"]),
            n("Reshape", [f"{p}_flat", "heads_shape"], [f"{p}_split"]),
            n("Transpose", [f"{p}_split"], [f"{p}_heads"], perm=[0, 2, 1, 3]),
        ]
    if einsum:
        nodes += [
            n("Einsum", ["q_heads", "k_heads"], ["scores_raw"], equation="bhid,bhjd->bhij"),
            n("Mul", ["scores_raw", "attention_scale"], ["scores"]),
            n("Softmax", ["scores"], ["attention"], axis=-1),
            n("Einsum", ["attention", "v_heads"], ["context_heads"], equation="bhij,bhjd->bhid"),
        ]
    else:
        nodes += [
            n("Transpose", ["k_heads"], ["k_t"], perm=[0, 1, 3, 2]),
            n("MatMul", ["q_heads", "k_t"], ["scores_raw"]),
            n("Mul", ["scores_raw", "attention_scale"], ["scores"]),
            n("Softmax", ["scores"], ["attention"], axis=-1),
            n("MatMul", ["attention", "v_heads"], ["context_heads"]),
        ]
    nodes += [
        n("Transpose", ["context_heads"], ["context_split"], perm=[0, 2, 1, 3]),
        n("Reshape", ["context_split", "merged_shape"], ["context"]),
        n("MatMul", ["context", "wo"], ["o_mm"]),
        n("Add", ["o_mm", "bo"], ["attended"]),
        n("Add", ["h0", "attended"], ["h1"]),
        n("LayerNormalization", ["h1", "ln2_scale", "ln2_bias"], ["ln2"], axis=-1, epsilon=1e-5),
        n("MatMul", ["ln2", "w1"], ["f1_mm"]),
        n("Add", ["f1_mm", "b1"], ["f1"]),
        n("Gelu", ["f1"], ["f1_gelu"], approximate=gelu),
        n("MatMul", ["f1_gelu", "w2"], ["f2_mm"]),
        n("Add", ["f2_mm", "b2"], ["f2"]),
        n("Add", ["h1", "f2"], ["y"]),
    ]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", seq, hidden])]
    if extras:
        nodes += [
            n("ReduceL2", ["y", "last_axis"], ["norms"], keepdims=0),
            n("TopK", ["norms", "k3"], ["top_norms", "top_positions"], axis=-1, largest=1, sorted=1),
            n("ReduceMean", ["y", "hidden_axis"], ["means"], keepdims=0),
            n("CumSum", ["means", "cumsum_axis"], ["running_means"]),
        ]
        outputs += [
            helper.make_tensor_value_info("norms", TensorProto.FLOAT, ["batch", seq]),
            helper.make_tensor_value_info("top_norms", TensorProto.FLOAT, ["batch", 3]),
            helper.make_tensor_value_info("top_positions", TensorProto.INT64, ["batch", 3]),
            helper.make_tensor_value_info("running_means", TensorProto.FLOAT, ["batch", seq]),
        ]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", seq, hidden])]
    used = {name for node in nodes for name in node.input}
    return model_of("transformer_block", nodes, inputs, outputs, [t for t in init if t.name in used])


def reductions_model(seed=31):
    rng = np.random.default_rng(seed)
    n = helper.make_node
    init = [
        ints("axis_last", [-1]), ints("axes_12", [1, 2]), ints("axis_1", [1]), ints("no_axes", np.zeros(0)),
        ints("axis_scalar", 1), ints("k2", [2]),
        weights(rng, "bilinear", [3, 5, 5]),
        floats("one_f", 1.0),
    ]
    nodes = [
        n("Gelu", ["x"], ["gelu_tanh"], approximate="tanh"),
        n("ReduceSumSquare", ["x", "axis_last"], ["sum_square"], keepdims=1),
        n("ReduceLogSumExp", ["x", "axes_12"], ["log_sum_exp"], keepdims=0),
        n("Abs", ["x"], ["x_abs"]),
        n("Add", ["x_abs", "one_f"], ["x_pos"]),
        n("ReduceLogSum", ["x_pos", "axis_last"], ["log_sum"], keepdims=0),
        n("ReduceProd", ["x_pos", "axis_1"], ["prod"], keepdims=0),
        n("ReduceL1", ["x", "axis_last"], ["l1"], keepdims=0),
        n("ReduceMax", ["x", "axis_last"], ["max"], keepdims=0),
        n("ReduceMin", ["x", "axes_12"], ["min"], keepdims=1),
        n("ReduceSum", ["x", "no_axes"], ["noop_sum"], keepdims=1, noop_with_empty_axes=1),
        n("CumSum", ["x", "axis_scalar"], ["cumsum"], exclusive=1, reverse=1),
        n("TopK", ["x", "k2"], ["smallest", "smallest_at"], axis=1, largest=0),
        n("ArgMax", ["x"], ["argmax_last"], axis=2, keepdims=0, select_last_index=1),
        n("ReduceMean", ["x", "axis_1"], ["row_means"], keepdims=0),
        n("Einsum", ["row_means", "bilinear", "row_means"], ["bilinear_out"], equation="bn,anm,bm->ba"),
        n("Transpose", ["x"], ["x_t"], perm=[0, 2, 1]),
        n("Einsum", ["x", "x_t"], ["batched"], equation="bij,bjk->bik"),
    ]
    f = TensorProto.FLOAT
    outputs = [helper.make_tensor_value_info(name, f, None) for name in [
        "gelu_tanh", "sum_square", "log_sum_exp", "log_sum", "prod", "l1", "max", "min", "noop_sum",
        "cumsum", "smallest"]]
    outputs += [helper.make_tensor_value_info("smallest_at", TensorProto.INT64, None),
                helper.make_tensor_value_info("argmax_last", TensorProto.INT64, None),
                helper.make_tensor_value_info("bilinear_out", f, None),
                helper.make_tensor_value_info("batched", f, None)]
    inputs = [helper.make_tensor_value_info("x", f, ["batch", 4, 5])]
    return model_of("reductions", nodes, inputs, outputs, init)


def main():
    rng = np.random.default_rng(2018)
    x = rng.normal(size=(ROWS, 6, 16)).astype(np.float32)
    write_case("transformer_block", transformer_model(), x, "transformer encoder layer", empty_batch=False)
    x = rng.normal(size=(ROWS, 4, 5)).astype(np.float32)
    # Ties for TopK's and ArgMax's tie rules: repeated values within rows.
    x[0, :, 0] = x[0, 0, 0]
    x[1, 2, :] = 0.5
    write_case("reductions", reductions_model(), x, "reductions, CumSum, TopK, Einsum", empty_batch=False)


if __name__ == "__main__":
    main()
