#!/usr/bin/env python3
"""Writes the XGBoost reference fixtures for SluiceBackendsTests.

Each case is a folder Tests/SluiceBackendsTests/Fixtures/xgboost/<case>/ holding the model as
xgboost saved it (model.json or model.ubj), the rows to score (input.json, NaN written as null)
and what xgboost's own predict answers for them (expected.json), already in Sluice's output
convention (README "Outputs of tree models"): classifiers answer `probabilities` and `label`, the rest `predictions`.

Everything is seeded and single-threaded, so a rerun with the same xgboost writes the same
files. Run: OMP_NUM_THREADS=1 python3 scripts/make_xgboost_fixtures.py

The legacy_* cases come from an older xgboost, to keep the 1.7 file layout covered (scalar
base_score "5E-1", no iteration_indptr). They are written only with --legacy, run in a separate
environment: python3 -m venv /tmp/xgb17 && /tmp/xgb17/bin/pip install xgboost==1.7.6 "numpy<2"
&& /tmp/xgb17/bin/python scripts/make_xgboost_fixtures.py --legacy
"""
import json
import os
import shutil
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import xgboost as xgb  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                    "Tests", "SluiceBackendsTests", "Fixtures", "xgboost")
TRAIN_ROWS = 400
TEST_ROWS = 50
CLASSIFIERS = {"binary:logistic", "multi:softprob", "multi:softmax"}


def data(seed, cols, missing=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(TRAIN_ROWS + TEST_ROWS, cols)).astype(np.float32)
    if missing > 0:
        x[rng.random(x.shape) < missing] = np.nan
    return rng, x


def labels(rng, x, objective, num_class=3):
    # A signal the trees can learn, so splits use several features and thresholds.
    s = np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, 1]) ** 2 - np.nan_to_num(x[:, 2])
    s = s + 0.3 * rng.normal(size=len(x))
    if objective in ("binary:logistic", "binary:logitraw"):
        return (s > 0.3).astype(np.float32)
    if objective.startswith("multi:"):
        return np.digitize(s, np.quantile(s, np.linspace(0, 1, num_class + 1)[1:-1])).astype(np.float32)
    if objective == "reg:logistic":
        return (1 / (1 + np.exp(-s))).astype(np.float32)
    if objective == "count:poisson":
        return rng.poisson(np.exp(0.5 * np.clip(s, -3, 3))).astype(np.float32)
    return (3 * s + 7).astype(np.float32)


def softmax32(margins):
    # As xgboost's multi:softprob does it: float32 exponentials of (margin - max), summed in
    # float64, divided in float32.
    m = margins.astype(np.float32)
    e = np.exp(m - m.max(axis=1, keepdims=True)).astype(np.float32)
    return (e / e.sum(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)).astype(np.float32)


def expected_outputs(booster, objective, x):
    d = xgb.DMatrix(x, missing=np.nan)
    pred = booster.predict(d)
    if objective not in CLASSIFIERS:
        return {"predictions": tensor(list(pred.shape), "FP32", pred.astype(np.float32))}
    margins = booster.predict(d, output_margin=True)
    if objective == "binary:logistic":
        p = pred.astype(np.float32)
        probs = np.stack([np.float32(1) - p, p], axis=1)
        label = np.argmax(probs, axis=1)
    elif objective == "multi:softprob":
        probs = pred.astype(np.float32)
        label = np.argmax(margins, axis=1)
    else:  # multi:softmax: predict answers the label; probabilities are softmax(margins),
        # computed by xgboost itself by serving the same trees as multi:softprob.
        twin = booster.copy()
        twin.set_param({"objective": "multi:softprob"})
        probs = twin.predict(d).astype(np.float32)
        assert np.allclose(probs, softmax32(margins), rtol=1e-6, atol=1e-7)
        label = pred.astype(np.int64)
        assert (label == np.argmax(margins, axis=1)).all()
    return {
        "probabilities": tensor(list(probs.shape), "FP32", probs),
        "label": tensor([len(x)], "INT64", label.astype(np.int64)),
    }


def tensor(shape, datatype, values):
    flat = np.asarray(values).reshape(-1)
    data = [int(v) for v in flat] if datatype == "INT64" else [float(v) for v in flat]
    return {"shape": shape, "datatype": datatype, "data": data}


def write_case(name, booster, objective, x, formats=("json",)):
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    for fmt in formats:
        booster.save_model(os.path.join(folder, f"model.{fmt}"))
    flat = [None if np.isnan(v) else float(v) for v in x.reshape(-1)]
    with open(os.path.join(folder, "input.json"), "w") as f:
        json.dump({"rows": int(x.shape[0]), "cols": int(x.shape[1]), "data": flat}, f)
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"objective": objective, "outputs": expected_outputs(booster, objective, x)}, f)


def train_case(name, objective, seed, cols=5, rounds=10, params=None, missing=0.0,
               formats=("json",), feature_types=None):
    rng, x = data(seed, cols, missing)
    y = labels(rng, x, objective)
    p = {"objective": objective, "max_depth": 4, "eta": 0.3, "nthread": 1, "seed": seed}
    if objective.startswith("multi:"):
        p["num_class"] = 3
    p.update(params or {})
    dtrain = xgb.DMatrix(x[:TRAIN_ROWS], y[:TRAIN_ROWS], missing=np.nan,
                         feature_types=feature_types, enable_categorical=feature_types is not None)
    booster = xgb.train(p, dtrain, rounds)
    write_case(name, booster, objective, x[TRAIN_ROWS:], formats)
    return booster, x


def clear(legacy):
    # Each mode owns its own cases, so the two environments can be run in either order.
    os.makedirs(ROOT, exist_ok=True)
    for name in os.listdir(ROOT):
        if name.startswith("legacy_") == legacy and os.path.isdir(os.path.join(ROOT, name)):
            shutil.rmtree(os.path.join(ROOT, name))


def main_legacy():
    clear(legacy=True)
    train_case("legacy_binary_logistic", "binary:logistic", 21, formats=("json", "ubj"))
    train_case("legacy_multi_softprob", "multi:softprob", 22, params={"base_score": 0.25})


def main():
    clear(legacy=False)
    train_case("binary_logistic", "binary:logistic", 1)
    train_case("binary_logitraw", "binary:logitraw", 2)
    # The same model in both formats: the two readers must agree.
    train_case("multi_softprob", "multi:softprob", 3, formats=("json", "ubj"))
    train_case("multi_softmax", "multi:softmax", 4)
    train_case("reg_squarederror", "reg:squarederror", 5)
    train_case("reg_logistic", "reg:logistic", 6)
    train_case("count_poisson", "count:poisson", 7, formats=("ubj",))
    train_case("base_score_logistic", "binary:logistic", 8, params={"base_score": 0.2})
    train_case("base_score_regression", "reg:squarederror", 9, params={"base_score": 40.0})
    train_case("missing_values", "binary:logistic", 10, missing=0.25)
    train_case("deep_tree", "reg:squarederror", 11, cols=6, rounds=3, formats=("ubj",),
               params={"max_depth": 14, "min_child_weight": 0, "lambda": 0.01})
    train_case("many_trees", "binary:logistic", 12, cols=4, rounds=600,
               params={"max_depth": 2, "eta": 0.05})
    # DART: predict scales each tree by its weight_drop.
    train_case("dart", "binary:logistic", 15, rounds=12,
               params={"booster": "dart", "rate_drop": 0.3, "skip_drop": 0.0, "sample_type": "weighted"})
    # Two regression targets, one tree per target per round: predictions [-1, 2].
    rng, x = data(16, 4)
    y = np.stack([labels(rng, x, "reg:squarederror"), np.nan_to_num(x[:, 3]) * 2 - 1], axis=1)
    booster = xgb.train({"objective": "reg:squarederror", "max_depth": 3, "nthread": 1, "seed": 16},
                        xgb.DMatrix(x[:TRAIN_ROWS], y[:TRAIN_ROWS]), 6)
    write_case("multi_target", booster, "reg:squarederror", x[TRAIN_ROWS:])
    # Categorical splits: feature 0 holds category codes 0..7; max_cat_to_onehot=1 makes xgboost
    # partition the categories, so nodes carry lists of several categories.
    rng, x = data(13, 4)
    x[:, 0] = rng.integers(0, 8, size=len(x)).astype(np.float32)
    y = ((np.isin(x[:, 0], [1, 4, 6]) * 1.5 + x[:, 1] + 0.2 * rng.normal(size=len(x))) > 0.8)
    x[TRAIN_ROWS::7, 0] = np.nan  # a few missing categories in the scored rows
    x[TRAIN_ROWS + 3::11, 0] = 11  # and a few categories never seen in training
    dtrain = xgb.DMatrix(x[:TRAIN_ROWS], y[:TRAIN_ROWS].astype(np.float32), missing=np.nan,
                         feature_types=["c", "q", "q", "q"], enable_categorical=True)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3, "nthread": 1, "seed": 13,
                         "max_cat_to_onehot": 1, "tree_method": "hist"}, dtrain, 8)
    write_case("categorical", booster, "binary:logistic", x[TRAIN_ROWS:], formats=("json", "ubj"))
    write_bad_fixtures()


def write_bad_fixtures():
    bad = os.path.join(ROOT, "bad")
    os.makedirs(bad)
    good = json.load(open(os.path.join(ROOT, "binary_logistic", "model.json")))
    raw = open(os.path.join(ROOT, "binary_logistic", "model.json"), "rb").read()
    open(os.path.join(bad, "truncated.json"), "wb").write(raw[: len(raw) // 2])
    ubj = open(os.path.join(ROOT, "count_poisson", "model.ubj"), "rb").read()
    open(os.path.join(bad, "truncated.ubj"), "wb").write(ubj[: len(ubj) // 2])
    open(os.path.join(bad, "not_a_model.json"), "w").write('{"hello": [1, 2, 3]}')

    def mutate(name, edit):
        doc = json.loads(json.dumps(good))
        edit(doc["learner"]["gradient_booster"]["model"]["trees"][0], doc)
        json.dump(doc, open(os.path.join(bad, name), "w"))

    mutate("child_out_of_range.json", lambda t, d: t["left_children"].__setitem__(0, 9999))
    mutate("feature_out_of_range.json", lambda t, d: t["split_indices"].__setitem__(0, 77))
    mutate("cycle.json", lambda t, d: t["right_children"].__setitem__(0, 0))
    mutate("short_array.json", lambda t, d: t["split_conditions"].pop())
    mutate("tree_info_class_out_of_range.json",
           lambda t, d: d["learner"]["gradient_booster"]["model"]["tree_info"].__setitem__(0, 5))
    rng, x = data(14, 3)
    gbl = xgb.train({"booster": "gblinear", "objective": "reg:squarederror", "nthread": 1},
                    xgb.DMatrix(x, labels(rng, x, "reg:squarederror")), 3)
    gbl.save_model(os.path.join(bad, "gblinear.json"))


if __name__ == "__main__":
    main_legacy() if "--legacy" in sys.argv else main()
