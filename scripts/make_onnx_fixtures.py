#!/usr/bin/env python3
"""Writes the ONNX reference fixtures for SluiceBackendsTests, and the bundled digits model.

Each case is a folder Tests/SluiceBackendsTests/Fixtures/onnx/<case>/ holding:

  model.onnx     scikit-learn models exported by skl2onnx (classifiers with zipmap=False), or a
                 network built node by node with onnx.helper the way torch.onnx.export writes
                 one (torch is not needed). Opset 13-17; ai.onnx.ml opset 3 (the classic
                 LinearClassifier/TreeEnsemble* operators, not opset 5's TreeEnsemble).
                 The batch dimension is dynamic.
  input.json     {"name": <graph input name>, "datatype": "FP32", "shape": [rows, ...],
                  "rows": rows, "cols": product of the other dimensions,
                  "data": [row-major values, NaN written as null]}
                 rows/cols/data are the lightgbm/xgboost fixtures' fields, so a reader of those
                 reads these too; `shape` is the full input shape (e.g. [rows, 1, 8, 8]).
  expected.json  {"objective": <what the model is, e.g. "LogisticRegression">,
                  "rtol": 1e-5 (1e-6 for tree ensembles, the issue's tolerances),
                  "output_names": [graph outputs, in graph order],
                  "outputs": {<graph output name>: {"shape": [...], "datatype": "FP32"|"INT64",
                                                    "data": [flat, row-major]}}}
                 ONNX models keep the graph's own output names: skl2onnx classifiers answer
                 `label` (INT64 [rows]) and `probabilities` (FP32 [rows, classes]), regressors
                 `variable` (FP32 [rows, targets]). Expected outputs are onnxruntime's
                 (one thread, all graph optimisations off), every value finite.

Rows: seeded random rows plus edge rows (all zeros, huge and tiny magnitudes, values exactly at
tree thresholds, NaN for the tree ensembles).

Fixtures/onnx/bad/ holds files the loader must refuse at load, naming the problem:
  truncated.onnx       the first half of a good model's bytes
  not_a_model.onnx     text, not protobuf
  unsupported_op.onnx  a valid graph with a RoiAlign node (unsupported: the error names op and node)
  zipmap.onnx          a LogisticRegression exported with ZipMap: once refused, now served with
                       its probabilities tensor (MLOperatorTests checks it loads)
and the hostile files of issue 14, each of which once killed the server as it loaded or warmed
up; now the load fails or warm-up does, naming the limit (limits.max_model_tensor_elements):
  slice_step_int64_max.onnx  one Slice of the input whose constant step is INT64_MAX
  slice_step_int64_min.onnx  the same with INT64_MIN (and INT64_MIN as the end)
  maxpool_kernel_2_31.onnx   MaxPool with kernel_shape [2^31, 2^31] and pads 2^31
  conv_pads_100000.onnx      Conv with pads of 100,000: a 160 GB output for a 4x4 image

Fixtures/onnx/hostile/ holds valid models that requests aim at, served in the end-to-end tests:
  dynamic_dims.onnx  x [n, m, 4] and steps INT64 [1] in; Flatten, Transpose and
                     GlobalAveragePool of x, and a Slice of x along m by `steps`, out
  expand.onnx        x [n] and shape INT64 [k] in; Expand(x, shape) out: 88 bytes of request
                     could ask for a gigabyte

With --hostile it writes only bad/'s hostile files and hostile/ (needs only onnx and numpy).

Seeded, single-threaded; a rerun with the same libraries writes the same files.
Needs: pip install scikit-learn skl2onnx onnx onnxruntime
Run: python3 scripts/make_onnx_fixtures.py
With --models it writes models/digits-mlp/1/model.onnx instead (see make_models()).
"""
import json
import os
import shutil
import sys
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

if "--hostile" not in sys.argv:
    import onnxruntime as ort  # noqa: E402
    from skl2onnx import to_onnx  # noqa: E402
    from skl2onnx.common.data_types import FloatTensorType  # noqa: E402
    from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor,  # noqa: E402
                                  RandomForestClassifier, RandomForestRegressor)
    from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge  # noqa: E402
    from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
    from sklearn.pipeline import make_pipeline  # noqa: E402
    from sklearn.preprocessing import Normalizer, StandardScaler  # noqa: E402

# Small MLPs stop before convergence on purpose; the fixture is the model as trained.
warnings.filterwarnings("ignore", category=UserWarning)
warnings.filterwarnings("ignore", module="sklearn")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "Tests", "SluiceBackendsTests", "Fixtures", "onnx")
TRAIN_ROWS = 400
TEST_ROWS = 40
COLS = 6
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
DATATYPES = {np.dtype(np.float32): "FP32", np.dtype(np.float64): "FP64", np.dtype(np.int64): "INT64"}


def session(model_bytes):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def tensor(values):
    values = np.asarray(values)
    datatype = DATATYPES[values.dtype]
    flat = values.reshape(-1)
    data = [int(v) for v in flat] if datatype == "INT64" else [float(v) for v in flat]
    return {"shape": list(values.shape), "datatype": datatype, "data": data}


def write_case(name, model, x, objective, rtol=1e-5):
    """Checks `model` (an onnx ModelProto), runs it on `x` and writes the case folder."""
    onnx.checker.check_model(model, full_check=True)
    data = model.SerializeToString()
    sess = session(data)
    (graph_input,) = sess.get_inputs()
    names = [o.name for o in sess.get_outputs()]
    results = sess.run(names, {graph_input.name: x})
    outputs = {}
    for output_name, value in zip(names, results):
        assert np.all(np.isfinite(value)), f"{name}: {output_name} has non-finite values"
        outputs[output_name] = tensor(value)
    folder = os.path.join(ROOT, name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(data)
    flat = [None if np.isnan(v) else float(v) for v in x.reshape(-1)]
    with open(os.path.join(folder, "input.json"), "w") as f:
        json.dump({"name": graph_input.name, "datatype": "FP32", "shape": list(x.shape),
                   "rows": int(x.shape[0]), "cols": int(np.prod(x.shape[1:])), "data": flat}, f)
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"objective": objective, "rtol": rtol, "output_names": names,
                   "outputs": outputs}, f)
    ops = sorted({n.op_type for n in model.graph.node})
    print(f"{name:28s} {' '.join(ops)}")
    return data


# -- scikit-learn models through skl2onnx ---------------------------------------------------

def tabular(seed, classes=None, cols=COLS):
    """Training rows, test rows and targets: `classes` class labels, or a regression target."""
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(TRAIN_ROWS + TEST_ROWS, cols)) * rng.uniform(0.5, 3, cols)
         + rng.uniform(-2, 2, cols)).astype(np.float32)
    s = x[:, 0] - 0.7 * x[:, 1] + 0.3 * x[:, 2] ** 2 + 0.5 * rng.normal(size=len(x))
    if classes is None:
        y = 3 * s + 2
    else:
        bins = np.digitize(s, np.quantile(s, np.linspace(0, 1, len(classes) + 1)[1:-1]))
        y = np.asarray(classes)[bins]
    return rng, x[:TRAIN_ROWS], y[:TRAIN_ROWS], x[TRAIN_ROWS:]


def edge_rows(test, cols):
    """Rows with values a float path gets wrong first: zeros, huge and tiny magnitudes."""
    rows = [np.zeros(cols), np.full(cols, 1e4), np.full(cols, -1e4), np.full(cols, 1e-30),
            np.linspace(-50, 50, cols)]
    return np.vstack([test, np.asarray(rows, dtype=np.float32)]).astype(np.float32)


def export(model, cols, zipmap=False):
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    options = {id(final): {"zipmap": False}} if hasattr(final, "classes_") and not zipmap else None
    onx = to_onnx(model, initial_types=[("input", FloatTensorType([None, cols]))],
                  options=options, target_opset=TARGET_OPSET)
    assert zipmap == any(n.op_type == "ZipMap" for n in onx.graph.node)
    # skl2onnx lists opset imports in set order, which changes with PYTHONHASHSEED.
    imports = sorted(onx.opset_import, key=lambda o: o.domain)
    del onx.opset_import[:]
    onx.opset_import.extend(imports)
    return onx


def sklearn_case(name, model, seed, classes=None, rtol=1e-5):
    _, x, y, test = tabular(seed, classes)
    model.fit(x, y)
    test = edge_rows(test, COLS)
    return write_case(name, export(model, COLS), test, type(model).__name__ if not hasattr(
        model, "steps") else "+".join(type(s).__name__ for _, s in model.steps), rtol)


def tree_thresholds(model):
    """(feature, threshold) pairs of the first tree, as float32: a row exactly at a split."""
    first = np.asarray(model.estimators_, dtype=object).ravel()[0]
    tree = first.tree_
    inner = tree.feature >= 0
    return list(zip(tree.feature[inner], tree.threshold[inner].astype(np.float32)))


def tree_case(name, model, seed, classes=None):
    """Tree ensembles also see NaN and rows sitting exactly on split thresholds."""
    _, x, y, test = tabular(seed, classes)
    model.fit(x, y)
    test = edge_rows(test, COLS)
    extra = []
    for i, (feature, threshold) in enumerate(tree_thresholds(model)[:8]):
        row = test[i].copy()
        row[feature] = threshold
        extra.append(row)
    nan_rows = test[:4].copy()
    nan_rows[0, :] = np.nan
    nan_rows[1, 0] = np.nan
    nan_rows[2, 1:3] = np.nan
    nan_rows[3, -1] = np.nan
    test = np.vstack([test, np.asarray(extra), nan_rows]).astype(np.float32)
    return write_case(name, export(model, COLS), test, type(model).__name__, rtol=1e-6)


def sklearn_cases():
    sklearn_case("logreg_binary", LogisticRegression(C=0.5), 1, classes=[0, 1])
    # Class labels 1, 3, 7: the label output carries the labels, not the class index.
    sklearn_case("logreg_multiclass", LogisticRegression(C=2.0), 2, classes=[1, 3, 7])
    sklearn_case("linear_regression", LinearRegression(), 3)
    # Two targets: LinearRegressor with targets=2, output [rows, 2].
    _, x, y, test = tabular(4)
    ridge = Ridge(alpha=3.0).fit(x, np.stack([y, -0.5 * y + x[:, 3]], axis=1))
    write_case("ridge_two_targets", export(ridge, COLS), edge_rows(test, COLS), "Ridge")
    sklearn_case("scaler_logreg", make_pipeline(StandardScaler(), LogisticRegression()), 5,
                 classes=[0, 1, 2])
    # The all-zero edge row has norm 0: onnxruntime leaves it zero, as sklearn does.
    sklearn_case("normalizer_logreg", make_pipeline(Normalizer("l2"), LogisticRegression(C=5)),
                 6, classes=[0, 1])
    sklearn_case("normalizer_max_ridge", make_pipeline(Normalizer("max"), Ridge()), 7)
    tree_case("random_forest_classifier",
              RandomForestClassifier(n_estimators=12, max_depth=6, random_state=8), 8,
              classes=[0, 1, 2])
    tree_case("gradient_boosting_classifier",
              GradientBoostingClassifier(n_estimators=25, max_depth=3, random_state=9), 9,
              classes=[0, 1])
    tree_case("gradient_boosting_multiclass",
              GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=10), 10,
              classes=[0, 1, 2])
    tree_case("random_forest_regressor",
              RandomForestRegressor(n_estimators=10, max_depth=6, random_state=11), 11)
    tree_case("gradient_boosting_regressor",
              GradientBoostingRegressor(n_estimators=30, max_depth=3, random_state=12), 12)
    sklearn_case("mlp_classifier",
                 MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=400, random_state=13), 13,
                 classes=[0, 1, 2])
    sklearn_case("mlp_classifier_binary",
                 MLPClassifier(hidden_layer_sizes=(12,), activation="logistic", max_iter=400,
                               random_state=14), 14, classes=[0, 1])
    sklearn_case("mlp_regressor",
                 MLPRegressor(hidden_layer_sizes=(16,), activation="tanh", max_iter=600,
                              random_state=15), 15)


# -- networks written the way torch.onnx.export writes them ---------------------------------

def weights(rng, name, shape, scale=None):
    scale = scale if scale is not None else 1 / np.sqrt(np.prod(shape[1:]) or 1)
    return numpy_helper.from_array((rng.normal(size=shape) * scale).astype(np.float32), name)


def network(name, nodes, inputs, outputs, initializers, opset):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="sluice-fixtures")
    model.ir_version = 8
    return onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)


def value(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def cnn_model(seed=20, size=8, classes=10):
    """Conv (pads, stride 1) → BatchNormalization → Relu → MaxPool → grouped Conv → Relu →
    AveragePool → Flatten → Gemm → Softmax, on [batch, 1, size, size]."""
    rng = np.random.default_rng(seed)
    half = size // 4
    init = [
        weights(rng, "conv1.weight", (4, 1, 3, 3)), weights(rng, "conv1.bias", (4,), 0.1),
        numpy_helper.from_array(rng.uniform(0.5, 1.5, 4).astype(np.float32), "bn.weight"),
        numpy_helper.from_array(rng.normal(size=4).astype(np.float32) * 0.1, "bn.bias"),
        numpy_helper.from_array(rng.normal(size=4).astype(np.float32) * 0.2, "bn.running_mean"),
        numpy_helper.from_array(rng.uniform(0.5, 2, 4).astype(np.float32), "bn.running_var"),
        weights(rng, "conv2.weight", (8, 2, 3, 3)), weights(rng, "conv2.bias", (8,), 0.1),
        weights(rng, "fc.weight", (classes, 8 * half * half)), weights(rng, "fc.bias", (classes,), 0.1),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["c1"], "/conv1/Conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("BatchNormalization",
                         ["c1", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"],
                         ["b1"], "/bn/BatchNormalization", epsilon=1e-5, momentum=0.9),
        helper.make_node("Relu", ["b1"], ["r1"], "/relu1/Relu"),
        helper.make_node("MaxPool", ["r1"], ["p1"], "/pool1/MaxPool", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Conv", ["p1", "conv2.weight", "conv2.bias"], ["c2"], "/conv2/Conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1], group=2,
                         dilations=[1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], "/relu2/Relu"),
        helper.make_node("AveragePool", ["r2"], ["p2"], "/pool2/AveragePool",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p2"], ["f"], "/Flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["logits"], "/fc/Gemm",
                         alpha=1.0, beta=1.0, transB=1),
        helper.make_node("Softmax", ["logits"], ["probabilities"], "/Softmax", axis=1),
    ]
    return network("cnn", nodes, [value("input", ["batch", 1, size, size])],
                   [value("probabilities", ["batch", classes])], init, 13)


def cnn_variants_model(seed=21):
    """Strided, dilated and asymmetrically padded convs, a depthwise conv, padded pools
    and GlobalAveragePool, two outputs, opset 17."""
    rng = np.random.default_rng(seed)
    init = [
        weights(rng, "conv1.weight", (6, 3, 3, 3)), weights(rng, "conv1.bias", (6,), 0.1),
        weights(rng, "dw.weight", (6, 1, 3, 3)),
        weights(rng, "conv3.weight", (4, 6, 2, 2)), weights(rng, "conv3.bias", (4,), 0.1),
        weights(rng, "fc.weight", (3, 4)), weights(rng, "fc.bias", (3,), 0.1),
        numpy_helper.from_array(np.array([0, -1], dtype=np.int64), "flat_shape"),
    ]
    nodes = [
        # 3x9x9 → stride 2, asymmetric pads → 6x5x5
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["c1"], "/conv1/Conv",
                         kernel_shape=[3, 3], pads=[1, 0, 1, 2], strides=[2, 2]),
        helper.make_node("LeakyRelu", ["c1"], ["a1"], "/act1/LeakyRelu", alpha=0.1),
        # depthwise (group = channels), dilation 2, no bias → 6x5x5
        helper.make_node("Conv", ["a1", "dw.weight"], ["c2"], "/dw/Conv", kernel_shape=[3, 3],
                         pads=[2, 2, 2, 2], dilations=[2, 2], group=6),
        helper.make_node("Relu", ["c2"], ["a2"], "/act2/Relu"),
        # padded max pool, ceil_mode off → 6x3x3
        helper.make_node("MaxPool", ["a2"], ["p1"], "/pool1/MaxPool", kernel_shape=[3, 3],
                         strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["p1", "conv3.weight", "conv3.bias"], ["c3"], "/conv3/Conv",
                         kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("Tanh", ["c3"], ["a3"], "/act3/Tanh"),
        helper.make_node("AveragePool", ["a3"], ["p2"], "/pool2/AveragePool", kernel_shape=[2, 2],
                         strides=[1, 1], pads=[0, 0, 1, 1], count_include_pad=0),
        helper.make_node("GlobalAveragePool", ["p2"], ["g"], "/GlobalAveragePool"),
        helper.make_node("Reshape", ["g", "flat_shape"], ["features"], "/Reshape"),
        helper.make_node("Gemm", ["features", "fc.weight", "fc.bias"], ["logits"], "/fc/Gemm",
                         transB=1),
        helper.make_node("LogSoftmax", ["logits"], ["log_probabilities"], "/LogSoftmax", axis=-1),
    ]
    return network("cnn_variants", nodes, [value("input", ["batch", 3, 9, 9])],
                   [value("features", ["batch", 4]), value("log_probabilities", ["batch", 3])],
                   init, 17)


def mlp_model(seed=22, cols=16, hidden=32, classes=10):
    """The way torch exports nn.Sequential(Linear, ReLU, Linear, Tanh, Linear) + a head:
    Gemm(transB=1) and MatMul + Add, Relu, Tanh, Softmax; and a Sigmoid score head."""
    rng = np.random.default_rng(seed)
    init = [
        weights(rng, "l1.weight", (hidden, cols)), weights(rng, "l1.bias", (hidden,), 0.1),
        weights(rng, "l2.weight_t", (hidden, hidden)), weights(rng, "l2.bias", (hidden,), 0.1),
        weights(rng, "head.weight", (classes, hidden)), weights(rng, "head.bias", (classes,), 0.1),
        weights(rng, "score.weight", (1, hidden)), weights(rng, "score.bias", (1,), 0.1),
    ]
    nodes = [
        helper.make_node("Gemm", ["input", "l1.weight", "l1.bias"], ["h1"], "/l1/Gemm", transB=1),
        helper.make_node("Relu", ["h1"], ["a1"], "/act1/Relu"),
        helper.make_node("MatMul", ["a1", "l2.weight_t"], ["m2"], "/l2/MatMul"),
        helper.make_node("Add", ["m2", "l2.bias"], ["h2"], "/l2/Add"),
        helper.make_node("Tanh", ["h2"], ["a2"], "/act2/Tanh"),
        helper.make_node("Gemm", ["a2", "head.weight", "head.bias"], ["logits"], "/head/Gemm",
                         transB=1),
        helper.make_node("Softmax", ["logits"], ["probabilities"], "/Softmax", axis=1),
        helper.make_node("Gemm", ["a2", "score.weight", "score.bias"], ["s"], "/score/Gemm",
                         transB=1),
        helper.make_node("Sigmoid", ["s"], ["score"], "/Sigmoid"),
    ]
    return network("mlp", nodes, [value("input", ["batch", cols])],
                   [value("probabilities", ["batch", classes]), value("score", ["batch", 1])],
                   init, 15)


def network_cases():
    rng = np.random.default_rng(30)
    x = rng.normal(size=(24, 1, 8, 8)).astype(np.float32)
    x[0] = 0
    x[1] = 1e3
    x[2] = -1e3
    x[3] = 1e-30
    write_case("cnn", cnn_model(), x, "CNN")
    x = rng.normal(size=(12, 3, 9, 9)).astype(np.float32)
    x[0] = 0
    x[1] = -50
    write_case("cnn_variants", cnn_variants_model(), x, "CNN")
    x = rng.normal(size=(40, 16)).astype(np.float32)
    x = edge_rows(x, 16)
    write_case("mlp", mlp_model(), x, "MLP")


def write_bad_fixtures(good):
    bad = os.path.join(ROOT, "bad")
    os.makedirs(bad, exist_ok=True)
    open(os.path.join(bad, "truncated.onnx"), "wb").write(good[: len(good) // 2])
    open(os.path.join(bad, "not_a_model.onnx"), "w").write("hello\nworld\n")
    # A well-formed graph with an operator Sluice does not run.
    rng = np.random.default_rng(40)
    init = [weights(rng, "rois", (2, 4)), numpy_helper.from_array(np.zeros(2, dtype=np.int64), "batch_indices")]
    node = helper.make_node("RoiAlign", ["input", "rois", "batch_indices"], ["Y"], "/roi/RoiAlign",
                            output_height=2, output_width=2)
    model = network("roi_align", [node], [value("input", ["batch", 3, 8, 8])],
                    [value("Y", [2, 3, 2, 2])], init, 16)
    onnx.checker.check_model(model, full_check=True)
    open(os.path.join(bad, "unsupported_op.onnx"), "wb").write(model.SerializeToString())
    # A classifier exported with ZipMap: its probabilities are a sequence of maps.
    _, x, y, _ = tabular(41, [0, 1])
    model = LogisticRegression().fit(x, y)
    onx = export(model, COLS, zipmap=True)
    onnx.checker.check_model(onx, full_check=True)
    open(os.path.join(bad, "zipmap.onnx"), "wb").write(onx.SerializeToString())


INT64_MAX = 2**63 - 1
INT64_MIN = -2**63


def bare_model(name, nodes, inputs, outputs, initializers, opset=13):
    """A model as an attacker writes it: checked as a file, but no shape inference (which
    refuses some of these shapes before any runtime sees them)."""
    graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="sluice-fixtures")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def int64s(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def write_hostile_fixtures():
    bad = os.path.join(ROOT, "bad")
    os.makedirs(bad, exist_ok=True)
    rows = value("x", ["n", 4])
    out = value("y", ["n", "k"])
    for name, step, end in (("slice_step_int64_max", INT64_MAX, INT64_MAX),
                            ("slice_step_int64_min", INT64_MIN, INT64_MIN)):
        node = helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"], "slice")
        init = [int64s("starts", [0]), int64s("ends", [end]), int64s("axes", [1]), int64s("steps", [step])]
        data = bare_model(name, [node], [rows], [out], init)
        open(os.path.join(bad, f"{name}.onnx"), "wb").write(data)
    image = value("x", ["n", 1, 4, 4])
    out = value("y", ["n", 1, "h", "w"])
    node = helper.make_node("MaxPool", ["x"], ["y"], "pool", kernel_shape=[2**31, 2**31],
                            pads=[2**31] * 4, ceil_mode=1)
    data = bare_model("maxpool_kernel", [node], [image], [out], [])
    open(os.path.join(bad, "maxpool_kernel_2_31.onnx"), "wb").write(data)
    node = helper.make_node("Conv", ["x", "w"], ["y"], "conv", pads=[100000] * 4)
    w = numpy_helper.from_array(np.ones((1, 1, 1, 1), dtype=np.float32), "w")
    data = bare_model("conv_pads", [node], [image], [out], [w])
    open(os.path.join(bad, "conv_pads_100000.onnx"), "wb").write(data)

    hostile = os.path.join(ROOT, "hostile")
    os.makedirs(hostile, exist_ok=True)
    x = value("x", ["n", "m", 4])
    steps = helper.make_tensor_value_info("steps", TensorProto.INT64, [1])
    nodes = [helper.make_node("Flatten", ["x"], ["flat"], "flatten", axis=1),
             helper.make_node("Transpose", ["x"], ["transposed"], "transpose"),
             helper.make_node("GlobalAveragePool", ["x"], ["pooled"], "pool"),
             helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["sliced"], "slice")]
    outputs = [value("flat", ["n", "mx4"]), value("transposed", [4, "m", "n"]),
               value("pooled", ["n", "m", 1]), value("sliced", ["n", "k", 4])]
    init = [int64s("starts", [0]), int64s("ends", [INT64_MAX]), int64s("axes", [1])]
    data = bare_model("dynamic_dims", nodes, [x, steps], outputs, init)
    open(os.path.join(hostile, "dynamic_dims.onnx"), "wb").write(data)
    shape = helper.make_tensor_value_info("shape", TensorProto.INT64, ["k"])
    node = helper.make_node("Expand", ["x", "shape"], ["y"], "expand")
    data = bare_model("expand", [node], [value("x", ["n"]), shape], [value("y", ["a", "b"])], [])
    open(os.path.join(hostile, "expand.onnx"), "wb").write(data)


def make_models():
    """models/digits-mlp/1/model.onnx: sklearn's digits (8x8 images as 64 features, 0-16),
    an MLPClassifier exported with zipmap=False: `label` and `probabilities` out."""
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    x = x.astype(np.float32)
    model = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=7).fit(x, y)
    onx = export(model, 64)
    onnx.checker.check_model(onx, full_check=True)
    folder = os.path.join(HERE, "..", "models", "digits-mlp")
    os.makedirs(os.path.join(folder, "1"), exist_ok=True)
    path = os.path.join(folder, "1", "model.onnx")
    with open(path, "wb") as f:
        f.write(onx.SerializeToString())
    with open(os.path.join(folder, "model.yaml"), "w") as f:
        f.write("# sklearn's digits: 64 pixel intensities (0-16) in, probabilities for 10 digits "
                "and a label out.\nbackend: onnx\nversion_policy: {latest: 1}\n")
    size = os.path.getsize(path)
    assert size < 100_000, f"{path} is {size} bytes; keep bundled models small"
    print(f"models/digits-mlp/1/model.onnx: {size} bytes, train accuracy {model.score(x, y):.3f}")


def main():
    # Other scripts (make_ml_, make_rnn_, make_double_, make_layout_, make_transformer_fixtures.py)
    # write cases beside these, so only this script's own folders are replaced.
    os.makedirs(ROOT, exist_ok=True)
    sklearn_cases()
    network_cases()
    good = open(os.path.join(ROOT, "logreg_binary", "model.onnx"), "rb").read()
    write_bad_fixtures(good)
    write_hostile_fixtures()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(ROOT) for f in fs)
    assert total < 3_000_000, f"Fixtures/onnx takes {total} bytes; keep it under 3 MB"
    print(f"Fixtures/onnx: {total} bytes")


if __name__ == "__main__":
    if "--models" in sys.argv:
        make_models()
    elif "--hostile" in sys.argv:
        write_hostile_fixtures()
    else:
        main()
