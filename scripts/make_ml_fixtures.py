#!/usr/bin/env python3
"""Writes the ai.onnx.ml reference fixtures (issue 18) for SluiceBackendsTests.

Same folder format as scripts/make_onnx_fixtures.py (whose helpers this imports): each case is
Tests/SluiceBackendsTests/Fixtures/onnx/<case>/{model.onnx, input.json, expected.json}, listed in
ONNXFixtureTests.cases.

Cases:
  svc_<kernel>_binary         SVC (linear, poly, rbf, sigmoid), two classes, no probabilities:
                              SVMClassifier's decision values as `probabilities` [rows, 2]
  svc_<kernel>_binary_proba   the same with probability=True: libsvm's pairwise coupling
  svc_<kernel>_3class         three classes (labels 1, 3, 7): one decision value per class pair,
                              which skl2onnx's graph turns into scikit-learn's decision_function
  svc_<kernel>_3class_proba   three classes with probabilities (prob_a, prob_b)
  nusvc_poly_3class           NuSVC
  linear_svc_binary/_3class   LinearSVC (skl2onnx writes LinearClassifier, + ArrayFeatureExtractor)
  svr_rbf, nusvr_poly         SVR and NuSVR: SVMRegressor with support vectors
  linear_svr                  LinearSVR (skl2onnx writes LinearRegressor)
  svm_linear_form_classifier  SVMClassifier and SVMRegressor written by hand in the linear form
  svm_linear_form_regressor   (coefficients only, no support vectors), from a LinearSVC/LinearSVR
  one_class_svm               OneClassSVM's support vectors in one SVMRegressor with one_class=1
                              (skl2onnx's own export adds a Sign node instead)
  imputer_logreg              SimpleImputer(mean) + LogisticRegression, NaN in the rows
  binarizer_logreg            Binarizer(threshold 0.5) + LogisticRegression
  scalers_ridge               MaxAbsScaler + MinMaxScaler + RobustScaler + StandardScaler + Ridge
  normalizer_l1_svc           Normalizer('l1') + SVC(rbf)
  zipmap_logreg               LogisticRegression and RandomForestClassifier exported with
  zipmap_random_forest        skl2onnx's defaults (ZipMap): expected `output_probability` is
                              onnxruntime's list of {label: p} dicts as an FP32 [rows, classes]
                              tensor, columns in class-label order
Fixtures/onnx/bad/three_unsupported_ops.onnx: a graph with a com.microsoft FusedMatMul, two
ai.onnx.ml FeatureVectorizer nodes and an ai.onnx Unique: the refusal lists all three with counts.

Seeded, single-threaded; a rerun with the same libraries writes the same files.
Needs: pip install scikit-learn skl2onnx onnx onnxruntime
Run: python3 scripts/make_ml_fixtures.py
"""
import json
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from make_onnx_fixtures import (COLS, ROOT, TARGET_OPSET, edge_rows, export, session,  # noqa: E402
                                tabular, write_case)
import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402
from skl2onnx import to_onnx  # noqa: E402
from skl2onnx.common.data_types import FloatTensorType  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import (Binarizer, MaxAbsScaler, MinMaxScaler, Normalizer,  # noqa: E402
                                   RobustScaler, StandardScaler)
from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR, NuSVC, NuSVR, OneClassSVM  # noqa: E402

warnings.filterwarnings("ignore")
TRAIN = 120  # SVMs keep many support vectors: fewer rows keep the files small


def plain_export(model):
    """skl2onnx with no options (LinearSVC/LinearSVR have no zipmap option)."""
    onx = to_onnx(model, initial_types=[("input", FloatTensorType([None, COLS]))], target_opset=TARGET_OPSET)
    imports = sorted(onx.opset_import, key=lambda o: o.domain)
    del onx.opset_import[:]
    onx.opset_import.extend(imports)
    return onx


def fitted(model, seed, classes=None, unsupervised=False, svm=False):
    _, x, y, test = tabular(seed, classes)
    if svm:
        # Standardized features, as SVMs are used: kernels of unscaled columns are sums of
        # large terms that cancel, and FP32 references of them differ by more than 1e-5.
        mean, std = x.mean(axis=0), x.std(axis=0)
        x, test = ((x - mean) / std).astype(np.float32), ((test - mean) / std).astype(np.float32)
    x, y = x[:TRAIN], y[:TRAIN]
    model.fit(x) if unsupervised else model.fit(x, y)
    return model, svm_rows(test) if svm else edge_rows(test, COLS)


def svm_rows(test):
    """SVM cases take the test rows and edge rows near the data. On rows of ±1e4 a decision
    value sums kernel terms of up to 1e12 that cancel to a few units: onnxruntime's FP32 answer
    there is off from the exact one by more than 1e-5 of itself, so it is no reference."""
    rows = [np.zeros(COLS), np.full(COLS, 1e-30), np.linspace(-5, 5, COLS), np.full(COLS, 3.0), np.full(COLS, -3.0)]
    return np.vstack([test, np.asarray(rows, dtype=np.float32)]).astype(np.float32)


def name_of(model):
    if hasattr(model, "steps"):
        return "+".join(type(s).__name__ for _, s in model.steps)
    return type(model).__name__


def svm_cases():
    for i, kernel in enumerate(["linear", "poly", "rbf", "sigmoid"]):
        for j, (classes, proba) in enumerate([([0, 1], False), ([0, 1], True), ([1, 3, 7], False), ([1, 3, 7], True)]):
            seed = 50 + 4 * i + j
            model, test = fitted(SVC(kernel=kernel, gamma=0.1, coef0=0.5, degree=3, probability=proba,
                                     random_state=seed), seed, classes, svm=True)
            name = f"svc_{kernel}_{'binary' if len(classes) == 2 else '3class'}{'_proba' if proba else ''}"
            write_case(name, export(model, COLS), test, "SVC")
    model, test = fitted(NuSVC(kernel="poly", nu=0.4, degree=2, gamma=0.1), 72, [0, 1, 2], svm=True)
    write_case("nusvc_poly_3class", export(model, COLS), test, "NuSVC")
    model, test = fitted(LinearSVC(random_state=73), 73, [0, 1])
    write_case("linear_svc_binary", plain_export(model), test, "LinearSVC")
    model, test = fitted(LinearSVC(random_state=74), 74, [0, 1, 2])
    write_case("linear_svc_3class", plain_export(model), test, "LinearSVC")
    model, test = fitted(SVR(kernel="rbf", gamma=0.1, C=3.0), 75, svm=True)
    write_case("svr_rbf", plain_export(model), test, "SVR")
    model, test = fitted(NuSVR(kernel="poly", degree=2, gamma=0.1, nu=0.3), 76, svm=True)
    write_case("nusvr_poly", plain_export(model), test, "NuSVR")
    model, test = fitted(LinearSVR(random_state=77), 77)
    write_case("linear_svr", plain_export(model), test, "LinearSVR")
    linear_form_cases()
    one_class_case()


def ml_model(name, node, outputs):
    graph = helper.make_graph([node], name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, COLS])],
                              outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)],
                              producer_name="sluice-fixtures")
    model.ir_version = 8
    return model


def linear_form_cases():
    """SVMClassifier/SVMRegressor with coefficients and no support vectors (the liblinear form
    of the operator; skl2onnx writes Linear* instead, so these are written by hand)."""
    model, test = fitted(LinearSVC(random_state=78), 78, [2, 4, 6])
    node = helper.make_node(
        "SVMClassifier", ["input"], ["label", "probabilities"], "svm_linear", domain="ai.onnx.ml",
        classlabels_ints=[2, 4, 6], coefficients=model.coef_.astype(np.float32).ravel().tolist(),
        rho=[float(model.intercept_[0])], kernel_type="LINEAR", kernel_params=[0.0, 0.0, 0.0],
        post_transform="NONE")
    onx = ml_model("svm_linear_form_classifier", node, [
        helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
        helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 3])])
    write_case("svm_linear_form_classifier", onx, test, "SVMClassifier (linear form)")
    model, test = fitted(LinearSVR(random_state=79), 79)
    node = helper.make_node(
        "SVMRegressor", ["input"], ["variable"], "svm_linear", domain="ai.onnx.ml",
        coefficients=model.coef_.astype(np.float32).ravel().tolist(), rho=[float(model.intercept_[0])],
        kernel_type="RBF", kernel_params=[0.5, 0.0, 3.0], n_supports=0)
    onx = ml_model("svm_linear_form_regressor", node, [
        helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])])
    write_case("svm_linear_form_regressor", onx, test, "SVMRegressor (linear form)")


def one_class_case():
    model, test = fitted(OneClassSVM(gamma=0.05, nu=0.2), 80, unsupervised=True, svm=True)
    node = helper.make_node(
        "SVMRegressor", ["input"], ["variable"], "one_class", domain="ai.onnx.ml",
        coefficients=model.dual_coef_.astype(np.float32).ravel().tolist(),
        support_vectors=model.support_vectors_.astype(np.float32).ravel().tolist(),
        rho=[float(model.intercept_[0])], kernel_type="RBF", kernel_params=[0.05, 0.0, 3.0],
        n_supports=len(model.support_vectors_), one_class=1)
    onx = ml_model("one_class_svm", node, [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])])
    # Rows far outside the training cloud are outliers (-1), the others mostly inliers (+1).
    write_case("one_class_svm", onx, test, "OneClassSVM")


def preprocessing_cases():
    model, test = fitted(make_pipeline(SimpleImputer(strategy="mean"), LogisticRegression()), 81, [0, 1, 2])
    test = test.copy()
    test[0, :] = np.nan
    test[1, 0] = np.nan
    test[2, 2:4] = np.nan
    write_case("imputer_logreg", export(model, COLS), test, name_of(model))
    model, test = fitted(make_pipeline(Binarizer(threshold=0.5), LogisticRegression()), 82, [0, 1])
    # A value exactly at the threshold maps to 0 (greater than, not greater or equal).
    test = np.vstack([test, np.full((1, COLS), 0.5, dtype=np.float32)])
    write_case("binarizer_logreg", export(model, COLS), test, name_of(model))
    model, test = fitted(make_pipeline(MaxAbsScaler(), MinMaxScaler(), RobustScaler(), StandardScaler(), Ridge()), 83)
    write_case("scalers_ridge", export(model, COLS), test, name_of(model))
    model, test = fitted(make_pipeline(Normalizer("l1"), SVC(kernel="rbf", gamma=2.0)), 84, [0, 1, 2], svm=True)
    write_case("normalizer_l1_svc", export(model, COLS), test, name_of(model))


def zipmap_case(name, model, seed, classes):
    """A classifier with skl2onnx's default ZipMap; the expected probabilities are
    onnxruntime's dicts laid out as [rows, classes]."""
    model, test = fitted(model, seed, classes)
    onx = export(model, COLS, zipmap=True)
    onnx.checker.check_model(onx, full_check=True)
    data = onx.SerializeToString()
    sess = session(data)
    label, dicts = sess.run(None, {"input": test})
    keys = sorted(dicts[0].keys())
    probabilities = np.asarray([[d[k] for k in keys] for d in dicts], dtype=np.float32)
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(data)
    with open(os.path.join(folder, "input.json"), "w") as f:
        json.dump({"name": "input", "datatype": "FP32", "shape": list(test.shape), "rows": int(test.shape[0]),
                   "cols": COLS, "data": [float(v) for v in test.reshape(-1)]}, f)
    outputs = {
        "output_label": {"shape": list(label.shape), "datatype": "INT64", "data": [int(v) for v in label]},
        "output_probability": {"shape": list(probabilities.shape), "datatype": "FP32",
                               "data": [float(v) for v in probabilities.reshape(-1)]},
    }
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"objective": type(model).__name__ + " with ZipMap", "rtol": 1e-5,
                   "output_names": ["output_label", "output_probability"], "outputs": outputs}, f)
    print(f"{name:28s} {' '.join(sorted({n.op_type for n in onx.graph.node}))}")


def write_refusal_fixture():
    """Three unsupported operators in one graph, one of them twice."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None])
    nodes = [
        helper.make_node("FusedMatMul", ["x", "x"], ["a"], "fused", domain="com.microsoft", transB=1),
        helper.make_node("FeatureVectorizer", ["a"], ["b"], "vectorize_1", domain="ai.onnx.ml", inputdimensions=[4]),
        helper.make_node("FeatureVectorizer", ["b"], ["c"], "vectorize_2", domain="ai.onnx.ml", inputdimensions=[4]),
        helper.make_node("Unique", ["c"], ["y"], "unique"),
    ]
    graph = helper.make_graph(nodes, "three_unsupported", [x], [y])
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3), helper.make_opsetid("com.microsoft", 1)],
        producer_name="sluice-fixtures")
    model.ir_version = 8
    bad = os.path.join(ROOT, "bad")
    os.makedirs(bad, exist_ok=True)
    with open(os.path.join(bad, "three_unsupported_ops.onnx"), "wb") as f:
        f.write(model.SerializeToString())


def main():
    svm_cases()
    preprocessing_cases()
    zipmap_case("zipmap_logreg", LogisticRegression(C=0.7), 85, [0, 1, 2])
    zipmap_case("zipmap_random_forest", RandomForestClassifier(n_estimators=5, max_depth=4, random_state=86), 86,
                [3, 5])
    write_refusal_fixture()


if __name__ == "__main__":
    main()
