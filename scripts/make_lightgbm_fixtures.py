#!/usr/bin/env python3
"""Writes the LightGBM reference fixtures for SluiceBackendsTests, and the bundled churn model.

Each case is a folder Tests/SluiceBackendsTests/Fixtures/lightgbm/<case>/ holding the model as
`Booster.save_model` writes it (model.txt), the rows to score (input.json, NaN written as null)
and what lightgbm's own predict answers for them (expected.json), already in Sluice's output
convention (README "Outputs of tree models"): classifiers (binary, multiclass, multiclassova) answer `probabilities`
and `label`, the rest `predictions`. The format is the XGBoost fixtures' one
(scripts/make_xgboost_fixtures.py), so the Swift tests read both alike.

Everything is seeded and single-threaded (num_threads=1, deterministic=True), so a rerun with
the same lightgbm writes the same files. Run: python3 scripts/make_lightgbm_fixtures.py
With --models it writes models/churn-lgbm/ instead (see make_models()).
"""
import json
import os
import re
import shutil
import sys

import lightgbm as lgb
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "Tests", "SluiceBackendsTests", "Fixtures", "lightgbm")
TRAIN_ROWS = 400
TEST_ROWS = 50
CLASSIFIERS = {"binary", "multiclass", "multiclassova"}
BASE = {"num_threads": 1, "deterministic": True, "verbose": -1, "num_leaves": 15,
        "min_data_in_leaf": 5, "learning_rate": 0.2}


def data(seed, cols):
    rng = np.random.default_rng(seed)
    return rng, rng.normal(size=(TRAIN_ROWS + TEST_ROWS, cols)).astype(np.float32)


def signal(rng, x):
    # Something the trees can learn, so splits use several features and thresholds.
    s = np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, 1]) ** 2 - np.nan_to_num(x[:, 2])
    return s + 0.3 * rng.normal(size=len(x))


def labels(rng, x, objective):
    s = signal(rng, x)
    if objective in ("binary", "cross_entropy"):
        return (s > 0.3).astype(np.float64)
    if objective.startswith("multiclass"):
        return np.digitize(s, np.quantile(s, [1 / 3, 2 / 3])).astype(np.float64)
    if objective in ("poisson", "tweedie"):
        return rng.poisson(np.exp(0.5 * np.clip(s, -3, 3))).astype(np.float64)
    if objective == "gamma":
        return rng.gamma(2.0, np.exp(0.3 * np.clip(s, -3, 3))).astype(np.float64)
    return 3 * s + 7


def tensor(shape, datatype, values):
    flat = np.asarray(values).reshape(-1)
    data = [int(v) for v in flat] if datatype == "INT64" else [float(v) for v in flat]
    return {"shape": shape, "datatype": datatype, "data": data}


def expected_outputs(booster, objective, x):
    pred = booster.predict(x, num_threads=1)
    if objective not in CLASSIFIERS:
        return {"predictions": tensor([len(x)], "FP32", pred.astype(np.float32))}
    if objective == "binary":
        p = pred.astype(np.float32)
        probs = np.stack([np.float32(1) - p, p], axis=1)
        label = np.argmax(probs, axis=1)
    else:
        # softmax for multiclass; for multiclassova each class's own sigmoid, not normalised,
        # exactly as predict answers it. The label is the argmax of the raw scores.
        probs = pred.astype(np.float32)
        label = np.argmax(booster.predict(x, raw_score=True, num_threads=1), axis=1)
    return {
        "probabilities": tensor(list(probs.shape), "FP32", probs),
        "label": tensor([len(x)], "INT64", label.astype(np.int64)),
    }


def write_case(name, booster, objective, x):
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    booster.save_model(os.path.join(folder, "model.txt"))
    flat = [None if np.isnan(v) else float(v) for v in x.reshape(-1)]
    with open(os.path.join(folder, "input.json"), "w") as f:
        json.dump({"rows": int(x.shape[0]), "cols": int(x.shape[1]), "data": flat}, f)
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"objective": objective, "outputs": expected_outputs(booster, objective, x)}, f)
    return os.path.join(folder, "model.txt")


def train(x, y, params, rounds, categorical="auto"):
    ds = lgb.Dataset(x[:TRAIN_ROWS], y[:TRAIN_ROWS], categorical_feature=categorical,
                     params={"verbose": -1}, free_raw_data=False)
    return lgb.train({**BASE, **params}, ds, rounds)


def train_case(name, objective, seed, cols=5, rounds=10, params=None):
    rng, x = data(seed, cols)
    y = labels(rng, x, objective)
    p = {"objective": objective, "seed": seed}
    if objective.startswith("multiclass"):
        p["num_class"] = 3
    p.update(params or {})
    booster = train(x, y, p, rounds)
    return write_case(name, booster, objective, x[TRAIN_ROWS:])


def decision_types(path):
    found = set()
    for line in open(path):
        if line.startswith("decision_type="):
            found.update(int(v) for v in line.strip().split("=")[1].split())
    return found


def missing_cases():
    # NaN type (features 0-2 have NaN in training) and None type (3-4 have none); scored rows
    # hold NaN and exact zeros in every feature, so None's NaN-as-zero is exercised too.
    rng, x = data(30, 5)
    x[:TRAIN_ROWS, :3][rng.random((TRAIN_ROWS, 3)) < 0.25] = np.nan
    test = x[TRAIN_ROWS:]
    test[rng.random(test.shape) < 0.2] = np.nan
    test[rng.random(test.shape) < 0.15] = 0.0
    y = labels(rng, np.nan_to_num(x), "binary")
    # NaN rows lean positive, so the learnt default direction is not always the same.
    y[:TRAIN_ROWS][np.isnan(x[:TRAIN_ROWS, 0])] = 1
    path = write_case("missing_nan", train(x, y, {"objective": "binary", "seed": 30}, 12),
                      "binary", test)
    types = decision_types(path)
    assert {8, 10} <= types and types & {0, 2}, f"missing_nan: decision types {types}"

    # Zero type: zero_as_missing=True, many exact zeros (and some NaN) in training.
    rng, x = data(31, 5)
    x[:TRAIN_ROWS][rng.random((TRAIN_ROWS, 5)) < 0.25] = 0.0
    x[:TRAIN_ROWS, 0][rng.random(TRAIN_ROWS) < 0.1] = np.nan
    test = x[TRAIN_ROWS:]
    test[rng.random(test.shape) < 0.2] = 0.0
    test[rng.random(test.shape) < 0.1] = np.nan
    test[0, :] = 1e-36  # within LightGBM's kZeroThreshold: counts as zero
    test[1, :] = -1e-36
    y = 3 * np.nan_to_num(x[:, 0]) + 2 * (x[:, 1] == 0) - np.nan_to_num(x[:, 2]) + rng.normal(size=len(x))
    path = write_case("missing_zero", train(x, y, {"objective": "regression", "seed": 31,
                                                   "zero_as_missing": True}, 12),
                      "regression", test)
    types = decision_types(path)
    assert {4, 6} <= types, f"missing_zero: decision types {types}"


def categorical_case():
    # Feature 0 holds category codes 0..11 (partitioned into bitsets, not one-hot), feature 1
    # codes 0..2; scored rows add NaN, negatives, -0.5 (C's cast makes it 0) and unseen codes.
    rng, x = data(40, 4)
    x[:, 0] = rng.integers(0, 12, size=len(x)).astype(np.float32)
    x[:, 1] = rng.integers(0, 3, size=len(x)).astype(np.float32)
    y = (np.isin(x[:, 0], [1, 4, 6, 9]) * 1.5 + (x[:, 1] == 2) + x[:, 2]
         + 0.2 * rng.normal(size=len(x)) > 0.8).astype(np.float64)
    test = x[TRAIN_ROWS:]
    test[::7, 0] = np.nan
    test[3::11, 0] = 40
    test[5::13, 0] = -3
    test[6::13, 0] = -0.5
    test[4::6, 1] = -0.5
    test[2::9, 1] = 1e9
    booster = train(x, y, {"objective": "binary", "seed": 40, "max_cat_to_onehot": 2,
                           "min_data_per_group": 5, "cat_smooth": 1, "cat_l2": 1}, 10,
                    categorical=[0, 1])
    path = write_case("categorical", booster, "binary", test)
    assert any(t & 1 for t in decision_types(path)), "categorical: no categorical splits"
    assert "cat_threshold=" in open(path).read()


def write_bad_fixtures():
    bad = os.path.join(ROOT, "bad")
    os.makedirs(bad)
    good = open(os.path.join(ROOT, "binary", "model.txt")).read()
    open(os.path.join(bad, "truncated.txt"), "w").write(good[: len(good) // 2])
    open(os.path.join(bad, "not_a_model.txt"), "w").write("hello\nworld\n")

    def first_tree_edit(name, key, edit):
        # Rewrites `key=` in Tree=0 only.
        start = good.index("Tree=0")
        m = re.compile(rf"^{key}=(.*)$", re.M).search(good, start)
        values = m.group(1).split(" ")
        edit(values)
        text = good[: m.start(1)] + " ".join(values) + good[m.end(1):]
        open(os.path.join(bad, name), "w").write(text)

    first_tree_edit("child_out_of_range.txt", "left_child", lambda v: v.__setitem__(0, "9999"))
    first_tree_edit("leaf_out_of_range.txt", "right_child", lambda v: v.__setitem__(0, "-9999"))
    first_tree_edit("feature_out_of_range.txt", "split_feature", lambda v: v.__setitem__(0, "77"))
    first_tree_edit("short_array.txt", "threshold", lambda v: v.pop())
    first_tree_edit("cycle.txt", "right_child", lambda v: v.__setitem__(0, "0"))
    first_tree_edit("bad_number.txt", "leaf_value", lambda v: v.__setitem__(0, "1.5x"))
    # A linear-tree model whose leaf model names a feature the model does not have.
    linear = open(os.path.join(ROOT, "linear_regression", "model.txt")).read()
    start = linear.index("Tree=1")
    m = re.compile(r"^leaf_features=(\S+)", re.M).search(linear, start)
    open(os.path.join(bad, "linear_feature_out_of_range.txt"), "w").write(
        linear[: m.start(1)] + "77" + linear[m.end(1):])


def linear_cases():
    """linear_tree=true: a linear model in each leaf; a row missing one of a leaf's features
    gets the leaf's constant leaf_value instead (NaN in a quarter of the scored rows' cells)."""
    for name, objective, seed in [("linear_regression", "regression", 60), ("linear_binary", "binary", 61),
                                  ("linear_multiclass", "multiclass", 62)]:
        rng, x = data(seed, 5)
        y = labels(rng, x, objective)
        x[TRAIN_ROWS:][rng.random(x[TRAIN_ROWS:].shape) < 0.25] = np.nan
        x[:TRAIN_ROWS][rng.random(x[:TRAIN_ROWS].shape) < 0.05] = np.nan
        p = {"objective": objective, "seed": seed, "linear_tree": True, "linear_lambda": 0.1}
        if objective == "multiclass":
            p["num_class"] = 3
        write_case(name, train(x, y, p, 8), objective, x[TRAIN_ROWS:])


CHURN_YAML = """\
# A LightGBM binary classifier on 10 synthetic customer features: probabilities and a label out.
backend: lightgbm
version_policy: {latest: 1}
"""


def make_models():
    """models/churn-lgbm/1/model.txt: binary, 10 features, a little missing data."""
    from sklearn.datasets import make_classification
    x, y = make_classification(n_samples=4000, n_features=10, n_informative=6, n_redundant=2,
                               weights=[0.8, 0.2], flip_y=0.02, random_state=7)
    x = x.astype(np.float32)
    x[np.random.default_rng(7).random(x.shape) < 0.03] = np.nan
    booster = lgb.train({**BASE, "objective": "binary", "seed": 7, "num_leaves": 15,
                         "learning_rate": 0.1}, lgb.Dataset(x, y, params={"verbose": -1}), 60)
    folder = os.path.join(HERE, "..", "models", "churn-lgbm")
    os.makedirs(os.path.join(folder, "1"), exist_ok=True)
    path = os.path.join(folder, "1", "model.txt")
    booster.save_model(path)
    size = os.path.getsize(path)
    assert size < 200_000, f"{path} is {size} bytes; keep bundled models small"
    with open(os.path.join(folder, "model.yaml"), "w") as f:
        f.write(CHURN_YAML)
    print(f"models/churn-lgbm/1/model.txt: {size} bytes")


def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    os.makedirs(ROOT)
    train_case("binary", "binary", 1)
    train_case("binary_sigmoid_scale", "binary", 2, params={"sigmoid": 0.7})
    train_case("multiclass", "multiclass", 3)
    train_case("multiclassova", "multiclassova", 4, params={"sigmoid": 1.3})
    train_case("regression_l2", "regression", 5)
    train_case("regression_l1", "regression_l1", 6)
    train_case("huber", "huber", 7)
    train_case("quantile", "quantile", 8, params={"alpha": 0.8})
    train_case("poisson", "poisson", 9)
    train_case("gamma", "gamma", 10)
    train_case("tweedie", "tweedie", 11, params={"tweedie_variance_power": 1.4})
    train_case("cross_entropy", "cross_entropy", 12)
    train_case("many_trees", "binary", 13, cols=4, rounds=300,
               params={"num_leaves": 4, "learning_rate": 0.05})
    train_case("rf", "binary", 14, rounds=8,
               params={"boosting": "rf", "bagging_freq": 1, "bagging_fraction": 0.7,
                       "feature_fraction": 0.8})
    train_case("rf_regression", "regression", 15, rounds=6,
               params={"boosting": "rf", "bagging_freq": 1, "bagging_fraction": 0.6})
    missing_cases()
    categorical_case()
    linear_cases()
    write_bad_fixtures()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(ROOT) for f in fs)
    assert total < 1_500_000, f"fixtures take {total} bytes; keep them under 1.5 MB"
    print(f"fixtures: {total} bytes")


if __name__ == "__main__":
    make_models() if "--models" in sys.argv else main()
