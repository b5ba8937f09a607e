#!/usr/bin/env python3
"""Writes the FP64 (DOUBLE) ONNX fixtures for SluiceBackendsTests: scikit-learn models exported by
skl2onnx with initial_types=[('input', DoubleTensorType([None, cols]))], which compute in double
and answer double, with onnxruntime's answers.

Each case is a folder Tests/SluiceBackendsTests/Fixtures/onnx/<case>/ in the format
scripts/make_onnx_fixtures.py describes, extended for FP64:
  input.json     "datatype": "FP64"; data are Python floats (JSON numbers that round-trip a
                 double exactly), NaN written as null.
  expected.json  outputs' "datatype" is "FP64" for double outputs (INT64 labels as before);
                 "rtol" is 1e-12: Sluice runs the same double arithmetic (BLAS dgemm/dgemv, libm),
                 so only summation order and libm's last bits differ.

Cases (8 seeded rows plus edge rows; the tests take 1, 8 and 0 rows of them):
  linear_regression_double       LinearRegression: MatMul, Add, Reshape
  logreg_binary_double           LogisticRegression, 2 classes: Sigmoid, Abs, ReduceSum, Div, ArgMax,
                                 ArrayFeatureExtractor, Cast
  scaler_logreg_multiclass_double StandardScaler + LogisticRegression, 3 classes: Sub, Div, Softmax
  minmax_ridge_double            MinMaxScaler + Ridge: Mul, Add
  mlp_classifier_double          MLPClassifier, 3 classes: MatMul+Add+Relu (fused), Softmax
  mlp_classifier_binary_double   MLPClassifier, 2 classes: Sigmoid, Sub, Concat
  mlp_regressor_double           MLPRegressor (tanh): Tanh
  pca_double                     PCA: Sub, MatMul
  random_forest_classifier_double RandomForestClassifier, 3 classes: TreeEnsembleClassifier with FP32
                                 thresholds (skl2onnx writes them so) and an FP64 input, which
                                 onnxruntime compares in double; its probabilities are FP32 as the
                                 graph declares them. Extra rows sit exactly on, one double ulp
                                 above and one below FP32 thresholds of the first tree, plus NaN
                                 rows. rtol 1e-6 (the issue's tolerance for trees).

skl2onnx's other tree exports with DoubleTensorType (DecisionTree*, RandomForestRegressor,
GradientBoosting*) declare FP64 outputs that their TreeEnsemble nodes (FP32 attributes) do not
produce, and onnxruntime refuses to load them, so they have no reference here.

Seeded, single-threaded; a rerun with the same libraries writes the same files.
Needs: pip install scikit-learn skl2onnx onnx onnxruntime
Run: python3 scripts/make_double_fixtures.py
"""
import json
import os
import sys
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from make_onnx_fixtures import session, tensor  # noqa: E402
from skl2onnx import to_onnx  # noqa: E402
from skl2onnx.common.data_types import DoubleTensorType  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler, StandardScaler  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning)
warnings.filterwarnings("ignore", module="sklearn")

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "SluiceBackendsTests", "Fixtures", "onnx")
COLS = 6
TRAIN_ROWS = 300
TEST_ROWS = 8
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


def tabular(seed, classes=None):
    """Training rows, test rows and targets, in float64."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(TRAIN_ROWS + TEST_ROWS, COLS)) * rng.uniform(0.5, 3, COLS) + rng.uniform(-2, 2, COLS)
    s = x[:, 0] - 0.7 * x[:, 1] + 0.3 * x[:, 2] ** 2 + 0.5 * rng.normal(size=len(x))
    if classes is None:
        y = 3 * s + 2
    else:
        bins = np.digitize(s, np.quantile(s, np.linspace(0, 1, len(classes) + 1)[1:-1]))
        y = np.asarray(classes)[bins]
    return x[:TRAIN_ROWS], y[:TRAIN_ROWS], x[TRAIN_ROWS:]


def edge_rows(test):
    """Rows a float32 path would get wrong: zeros, huge and tiny magnitudes, values that need
    all 53 bits (1 + 2^-40 is 1 in float32)."""
    rows = [np.zeros(COLS), np.full(COLS, 1e4), np.full(COLS, -1e4), np.full(COLS, 1e-30),
            np.linspace(-50, 50, COLS), np.full(COLS, 1 + 2.0 ** -40)]
    return np.vstack([test, np.asarray(rows)])


def export(model):
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    options = {id(final): {"zipmap": False}} if hasattr(final, "classes_") else None
    onx = to_onnx(model, initial_types=[("input", DoubleTensorType([None, COLS]))],
                  options=options, target_opset=TARGET_OPSET)
    # skl2onnx lists opset imports in set order, which changes with PYTHONHASHSEED.
    imports = sorted(onx.opset_import, key=lambda o: o.domain)
    del onx.opset_import[:]
    onx.opset_import.extend(imports)
    return onx


def write_case(name, model, x, objective, rtol=1e-12):
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
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(data)
    with open(os.path.join(folder, "input.json"), "w") as f:
        json.dump({"name": graph_input.name, "datatype": "FP64", "shape": list(x.shape),
                   "rows": int(x.shape[0]), "cols": int(np.prod(x.shape[1:])),
                   "data": [None if np.isnan(v) else float(v) for v in x.reshape(-1)]}, f)
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"objective": objective, "rtol": rtol, "output_names": names, "outputs": outputs}, f)
    ops = sorted({n.op_type for n in model.graph.node})
    print(f"{name:34s} {' '.join(ops)}")


def sklearn_case(name, model, seed, classes=None, rtol=1e-12):
    x, y, test = tabular(seed, classes)
    model.fit(x, y) if not isinstance(model, PCA) else model.fit(x)
    objective = "+".join(type(s).__name__ for _, s in model.steps) if hasattr(model, "steps") else type(model).__name__
    write_case(name, export(model), edge_rows(test), objective, rtol)


def tree_case(name, model, seed, classes):
    x, y, test = tabular(seed, classes)
    model.fit(x, y)
    onx = export(model)
    (trees,) = [n for n in onx.graph.node if n.op_type.startswith("TreeEnsemble")]
    attrs = {a.name: a for a in trees.attribute}
    first = [i for i, t in enumerate(attrs["nodes_treeids"].ints)
             if t == 0 and attrs["nodes_modes"].strings[i] != b"LEAF"]
    test = edge_rows(test)
    extra = []
    for k, i in enumerate(first[:6]):
        feature = attrs["nodes_featureids"].ints[i]
        threshold = float(np.float32(attrs["nodes_values"].floats[i]))
        for value in (threshold, np.nextafter(threshold, np.inf), np.nextafter(threshold, -np.inf)):
            row = test[k % len(test)].copy()
            row[feature] = value
            extra.append(row)
    nan_rows = test[:3].copy()
    nan_rows[0, :] = np.nan
    nan_rows[1, 0] = np.nan
    nan_rows[2, 1:3] = np.nan
    rows = np.vstack([test, np.asarray(extra), nan_rows])
    write_case(name, onx, rows, type(model).__name__, rtol=1e-6)


def main():
    sklearn_case("linear_regression_double", LinearRegression(), 101)
    sklearn_case("logreg_binary_double", LogisticRegression(max_iter=500), 102, classes=[0, 1])
    sklearn_case("scaler_logreg_multiclass_double",
                 make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)), 103, classes=[3, 5, 9])
    sklearn_case("minmax_ridge_double", make_pipeline(MinMaxScaler(), Ridge(alpha=0.5)), 104)
    sklearn_case("mlp_classifier_double",
                 MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=200, random_state=5), 105, classes=[0, 1, 2])
    sklearn_case("mlp_classifier_binary_double",
                 MLPClassifier(hidden_layer_sizes=(12,), max_iter=200, random_state=6), 106, classes=[0, 1])
    sklearn_case("mlp_regressor_double",
                 MLPRegressor(hidden_layer_sizes=(10,), activation="tanh", max_iter=200, random_state=7), 107)
    sklearn_case("pca_double", PCA(n_components=3, random_state=0), 108)
    tree_case("random_forest_classifier_double",
              RandomForestClassifier(n_estimators=5, max_depth=5, random_state=9), 109, classes=[0, 1, 2])


if __name__ == "__main__":
    main()
