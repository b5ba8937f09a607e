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
The deprecated_binary and xgb2_* cases need an xgboost before 3.1 too: see main_xgboost2.
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


def expected_outputs(booster, objective, x, iteration_range=(0, 0)):
    # iteration_range (0, 0) is every tree, Booster.predict's default; early-stopped cases also
    # pass the range the scikit-learn wrapper predicts with, (0, best_iteration + 1).
    d = xgb.DMatrix(x, missing=np.nan)
    pred = booster.predict(d, iteration_range=iteration_range)
    if objective not in CLASSIFIERS:
        return {"predictions": tensor(list(pred.shape), "FP32", pred.astype(np.float32))}
    margins = booster.predict(d, output_margin=True, iteration_range=iteration_range)
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
        probs = twin.predict(d, iteration_range=iteration_range).astype(np.float32)
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


def write_case(name, booster, objective, x, formats=("json",), iteration_range=(0, 0)):
    """expected.json answers as predict with `iteration_range`; when that is not every tree,
    expected_all.json answers with every tree (model.yaml's `xgboost: {iterations: all}`)."""
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    for fmt in formats:
        booster.save_model(os.path.join(folder, f"model.{fmt}"))
    flat = [None if np.isnan(v) else float(v) for v in x.reshape(-1)]
    with open(os.path.join(folder, "input.json"), "w") as f:
        json.dump({"rows": int(x.shape[0]), "cols": int(x.shape[1]), "data": flat}, f)
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"objective": objective,
                   "outputs": expected_outputs(booster, objective, x, iteration_range)}, f)
    if iteration_range != (0, 0):
        with open(os.path.join(folder, "expected_all.json"), "w") as f:
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
        if name == "deprecated_binary" or name.startswith("xgb2_"):
            continue  # written only by --xgboost2
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
    early_stopping_cases()
    linear_cases()
    # survival:cox predicts exp(margin) (the hazard ratio); negative labels are censored times.
    rng, x = data(30, 5)
    t = np.exp(0.5 * labels(rng, x, "reg:squarederror") / 7).astype(np.float32)
    t[rng.random(len(t)) < 0.3] *= -1
    booster = xgb.train({"objective": "survival:cox", "max_depth": 3, "nthread": 1, "seed": 30},
                        xgb.DMatrix(x[:TRAIN_ROWS], t[:TRAIN_ROWS]), 8)
    write_case("survival_cox", booster, "survival:cox", x[TRAIN_ROWS:])
    vector_leaf_cases()
    write_bad_fixtures()


def early_stopping_cases():
    """Saved after early stopping: every round is in the file, best_iteration in its attributes.
    expected.json is what the scikit-learn wrapper's predict answers (trees of rounds
    0...best_iteration), expected_all.json what Booster.predict answers (every tree)."""
    def fit(name, objective, seed, formats, **params):
        rng, x = data(seed, 5, missing=0.1)
        y = labels(rng, x, objective).astype(np.int64)
        model = xgb.XGBClassifier(n_estimators=80, max_depth=4, learning_rate=0.4, n_jobs=1,
                                  random_state=seed, early_stopping_rounds=4, **params)
        model.fit(x[:300], y[:300], eval_set=[(x[300:TRAIN_ROWS], y[300:TRAIN_ROWS])], verbose=False)
        booster = model.get_booster()
        best = model.best_iteration
        assert 0 < best < booster.num_boosted_rounds() - 1, (name, best)
        write_case(name, booster, objective, x[TRAIN_ROWS:], formats, iteration_range=(0, best + 1))
        # The wrapper predicts with best_iteration: the fixture is what the user validated.
        want = model.predict_proba(x[TRAIN_ROWS:])
        got = booster.predict(xgb.DMatrix(x[TRAIN_ROWS:], missing=np.nan), iteration_range=(0, best + 1))
        got = np.stack([1 - got, got], axis=1) if got.ndim == 1 else got
        assert np.allclose(want, got, rtol=1e-6, atol=1e-7)

    fit("early_stop_binary", "binary:logistic", 40, ("json", "ubj"))
    # Random forests inside boosting: num_parallel_tree trees per class per round.
    fit("early_stop_multi_forest", "multi:softprob", 41, ("json",), num_parallel_tree=3,
        subsample=0.8, colsample_bynode=0.8)


def linear_cases():
    """booster=gblinear: one weight per feature and output plus a bias; missing values add 0."""
    for name, objective, seed, missing in [
            ("gblinear_regression", "reg:squarederror", 50, 0.0),
            ("gblinear_binary", "binary:logistic", 51, 0.2),
            ("gblinear_multi", "multi:softprob", 52, 0.0),
            ("gblinear_poisson", "count:poisson", 53, 0.0)]:
        formats = ("json", "ubj") if name == "gblinear_binary" else ("json",)
        train_case(name, objective, seed, rounds=8, missing=missing, formats=formats,
                   params={"booster": "gblinear", "eta": 0.5, "lambda": 0.1, "updater": "coord_descent"})


def vector_leaf_cases():
    """multi_strategy=multi_output_tree: one tree per round whose leaves hold one value per
    target (or class)."""
    params = {"tree_method": "hist", "multi_strategy": "multi_output_tree", "max_depth": 4,
              "nthread": 1, "seed": 60}
    rng, x = data(60, 5, missing=0.1)
    y = np.stack([labels(rng, x, "reg:squarederror"), np.nan_to_num(x[:, 3]) * 2 - 1,
                  np.nan_to_num(x[:, 4]) ** 2], axis=1)
    booster = xgb.train(params, xgb.DMatrix(x[:TRAIN_ROWS], y[:TRAIN_ROWS], missing=np.nan), 6)
    write_case("vector_leaf_regression", booster, "reg:squarederror", x[TRAIN_ROWS:], ("json", "ubj"))
    rng, x = data(61, 5)
    y = labels(rng, x, "multi:softprob")
    booster = xgb.train({**params, "objective": "multi:softprob", "num_class": 3},
                        xgb.DMatrix(x[:TRAIN_ROWS], y[:TRAIN_ROWS]), 6)
    write_case("vector_leaf_multiclass", booster, "multi:softprob", x[TRAIN_ROWS:])


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
    # A gblinear file whose weights do not fit its features and outputs.
    gbl = json.load(open(os.path.join(ROOT, "gblinear_regression", "model.json")))
    gbl["learner"]["gradient_booster"]["model"]["weights"].pop()
    json.dump(gbl, open(os.path.join(bad, "gblinear_short_weights.json"), "w"))


def main_xgboost2():
    """Cases only an xgboost before 3.1 writes. Run:
    python3 -m venv --system-site-packages --without-pip /tmp/xgb21 &&
    /tmp/xgb21/bin/python -m pip install xgboost-cpu==2.1.4 &&
    /tmp/xgb21/bin/python scripts/make_xgboost_fixtures.py --xgboost2
    deprecated_binary: the binary format xgboost wrote before 1.0 and, as `.deprecated`, until
    3.0 (3.1 removed it); Sluice refuses it with xgboost's own advice.
    xgb2_vector_leaf_regression: vector leaves in xgboost 2's layout (each node's vector in
    base_weights; xgboost 3 moved leaves to leaf_weights)."""
    assert tuple(int(p) for p in xgb.__version__.split(".")[:2]) < (3, 1), xgb.__version__
    folder = os.path.join(ROOT, "xgb2_vector_leaf_regression")
    shutil.rmtree(folder, ignore_errors=True)
    rng, x = data(62, 4, missing=0.1)
    y = np.stack([labels(rng, x, "reg:squarederror"), np.nan_to_num(x[:, 3]) * 2 - 1], axis=1)
    booster = xgb.train({"tree_method": "hist", "multi_strategy": "multi_output_tree", "max_depth": 4,
                         "nthread": 1, "seed": 62}, xgb.DMatrix(x[:TRAIN_ROWS], y[:TRAIN_ROWS], missing=np.nan), 5)
    # UBJSON: xgboost 2 writes these trees' unused leaf thresholds as NaN, which JSON cannot hold
    # (its model.json has a bare NaN, which a strict JSON reader refuses).
    write_case("xgb2_vector_leaf_regression", booster, "reg:squarederror", x[TRAIN_ROWS:], ("ubj",))
    folder = os.path.join(ROOT, "deprecated_binary")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    rng, x = data(70, 4)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3, "nthread": 1, "seed": 70},
                        xgb.DMatrix(x, labels(rng, x, "binary:logistic")), 3)
    booster.save_model(os.path.join(folder, "model.deprecated"))
    os.rename(os.path.join(folder, "model.deprecated"), os.path.join(folder, "model.bst"))


if __name__ == "__main__":
    if "--legacy" in sys.argv:
        main_legacy()
    elif "--xgboost2" in sys.argv:
        main_xgboost2()
    else:
        main()
