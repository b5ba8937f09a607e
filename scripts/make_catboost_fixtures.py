#!/usr/bin/env python3
"""Writes the CatBoost reference fixtures for SluiceBackendsTests.

Each case is a folder Tests/SluiceBackendsTests/Fixtures/catboost/<case>/ holding the model as
`save_model(format="json")` writes it (catboost.json, the file name Sluice looks for), the rows
to score (input.json, NaN written as null) and what catboost's own predict answers for them
(expected.json), already in Sluice's output convention (README "Outputs of tree models"):
classifiers (Logloss, MultiClass, MultiClassOneVsAll) answer `probabilities` from predict_proba
and `label` (the class index, argmax of the raw scores); the rest answer `predictions` from
predict. The format is the XGBoost and LightGBM fixtures' one, so the Swift tests read all alike.

Everything is seeded and single-threaded (random_seed, thread_count=1), so a rerun with the same
catboost writes the same files but for model_info.model_guid and train_finish_time. bad/ holds broken and unsupported models for the load-failure
tests. Run: python3 scripts/make_catboost_fixtures.py
"""
import json
import os
import shutil

import catboost
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "Tests", "SluiceBackendsTests", "Fixtures", "catboost")
TRAIN_ROWS = 400
TEST_ROWS = 50
CLASSIFIERS = {"Logloss", "MultiClass", "MultiClassOneVsAll"}


def data(seed, cols, nan_fraction=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(TRAIN_ROWS + TEST_ROWS, cols)).astype(np.float32)
    if nan_fraction:
        x[rng.random(x.shape) < nan_fraction] = np.nan
    return rng, x


def labels(rng, x, loss):
    s = np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, 1]) ** 2 - np.nan_to_num(x[:, 2])
    s = s + 0.3 * rng.normal(size=len(x))
    # Rows with a missing first feature lean one way, so NaN handling decides answers.
    s[np.isnan(x[:, 0])] += 1.5
    if loss == "Logloss":
        return (s > 0.3).astype(np.int64)
    if loss.startswith("MultiClass"):
        return np.digitize(s, np.quantile(s, [1 / 3, 2 / 3])).astype(np.int64)
    if loss == "Poisson":
        return rng.poisson(np.exp(0.5 * np.clip(s, -3, 3))).astype(np.float64)
    if loss == "MultiRMSE":
        return np.stack([3 * s + 7, -2 * s + np.nan_to_num(x[:, 3])], axis=1)
    return 3 * s + 7


def tensor(shape, datatype, values):
    flat = np.asarray(values).reshape(-1)
    data = [int(v) for v in flat] if datatype == "INT64" else [float(v) for v in flat]
    return {"shape": shape, "datatype": datatype, "data": data}


def expected_outputs(model, loss, x):
    if loss not in CLASSIFIERS:
        pred = np.asarray(model.predict(x, thread_count=1)).astype(np.float32)
        shape = [len(x)] if pred.ndim == 1 else list(pred.shape)
        return {"predictions": tensor(shape, "FP32", pred)}
    probs = np.asarray(model.predict_proba(x, thread_count=1)).astype(np.float32)
    raw = np.asarray(model.predict(x, prediction_type="RawFormulaVal", thread_count=1))
    label = (raw > 0).astype(np.int64) if raw.ndim == 1 else np.argmax(raw, axis=1)
    return {
        "probabilities": tensor(list(probs.shape), "FP32", probs),
        "label": tensor([len(x)], "INT64", label),
    }


def write_case(name, model, loss, x, categories=None):
    """`categories` (rows of category values, in the model's categorical feature order) goes
    to categorical.json; the model then scores the rows with the categories in their columns."""
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    model.save_model(os.path.join(folder, "catboost.json"), format="json")
    flat = [None if np.isnan(v) else float(v) for v in x.reshape(-1)]
    with open(os.path.join(folder, "input.json"), "w") as f:
        json.dump({"rows": int(x.shape[0]), "cols": int(x.shape[1]), "data": flat}, f)
    rows = x
    if categories is not None:
        with open(os.path.join(folder, "categorical.json"), "w") as f:
            json.dump({"rows": len(categories), "cols": len(categories[0]),
                       "data": [v for row in categories for v in row]}, f)
        rows = [list(map(float, xr)) + list(cr) for xr, cr in zip(x, categories)]
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"objective": loss, "outputs": expected_outputs(model, loss, rows)}, f)
    return model


def categorical_case(name, loss, seed, cols=2, strings=3, integers=0, iterations=30, test_nan=0.0, **params):
    """Float columns first, then `strings` string and `integers` integer categorical columns,
    with categories the model never saw among the scored rows."""
    rng, x = data(seed, cols)
    n = len(x)
    words = ["red", "green", "blue", "cyan", "a somewhat longer category name, over 32 bytes",
             "a category name that is longer than sixty-four bytes, to reach the long hash loop"]
    cats = [[words[int(rng.integers(len(words) - k % 2))] for k in range(strings)]
            + [int(rng.integers(6)) for _ in range(integers)] for _ in range(n)]
    s = np.nan_to_num(x[:, 0]) if cols else np.zeros(n)
    s = s + np.array([(r[0] in ("red", "blue")) - 0.7 * (r[1] == "green") + 0.4 * (len(r) > 2 and r[2] == "cyan")
                      + (0.5 * (r[-1] > 2) if integers else 0) for r in cats])
    if loss == "Logloss":
        y = (s + 0.3 * rng.normal(size=n) > 0.5).astype(np.int64)
    elif loss == "MultiClass":
        y = np.digitize(s, np.quantile(s, [1 / 3, 2 / 3])).astype(np.int64)
    else:
        y = 3 * s + 0.2 * rng.normal(size=n)
    kind = catboost.CatBoostClassifier if loss in CLASSIFIERS else catboost.CatBoostRegressor
    model = kind(iterations=iterations, depth=4, learning_rate=0.3, loss_function=loss, random_seed=seed,
                 thread_count=1, verbose=0, allow_writing_files=False, **params)
    train = [list(map(float, xr)) + cr for xr, cr in zip(x[:TRAIN_ROWS], cats[:TRAIN_ROWS])]
    model.fit(train, y[:TRAIN_ROWS], cat_features=list(range(cols, cols + strings + integers)))
    test, test_cats = x[TRAIN_ROWS:].copy(), [list(r) for r in cats[TRAIN_ROWS:]]
    if test_nan:
        test[rng.random(test.shape) < test_nan] = np.nan
    for r in test_cats[:3]:
        r[0] = "never seen"
        if integers:
            r[-1] = 99
    if cols == 0:
        test = test[:, :0]
    return write_case(name, model, loss, test, test_cats)


def train_case(name, loss, seed, cols=5, iterations=20, nan_fraction=0.0, test_nan=0.0, **params):
    rng, x = data(seed, cols, nan_fraction)
    y = labels(rng, x, loss)
    kind = catboost.CatBoostClassifier if loss in CLASSIFIERS else catboost.CatBoostRegressor
    model = kind(iterations=iterations, depth=params.pop("depth", 4), learning_rate=0.3,
                 loss_function=loss, random_seed=seed, thread_count=1, verbose=0,
                 allow_writing_files=False, **params)
    model.fit(x[:TRAIN_ROWS], y[:TRAIN_ROWS])
    test = x[TRAIN_ROWS:].copy()
    if test_nan:
        test[rng.random(test.shape) < test_nan] = np.nan
    return write_case(name, model, loss, test)


def write_bad_fixtures(good_path):
    bad = os.path.join(ROOT, "bad")
    os.makedirs(bad)
    text = open(good_path).read()
    open(os.path.join(bad, "truncated.json"), "w").write(text[: len(text) // 2])
    open(os.path.join(bad, "not_a_model.json"), "w").write('{"hello": "world"}')

    def edit(name, change):
        doc = json.loads(text)
        change(doc)
        with open(os.path.join(bad, name), "w") as f:
            json.dump(doc, f)

    edit("short_leaf_values.json", lambda d: d["oblivious_trees"][0]["leaf_values"].pop())
    edit("feature_out_of_range.json",
         lambda d: d["oblivious_trees"][0]["splits"][0].__setitem__("float_feature_index", 99))
    edit("unknown_loss.json",
         lambda d: d["model_info"]["params"]["loss_function"].__setitem__("type", "RMSEWithUncertainty"))
    edit("too_deep.json",
         lambda d: d["oblivious_trees"][0].__setitem__("splits", d["oblivious_trees"][0]["splits"] * 5))

    # A categorical model whose CTR table is missing.
    doc = json.load(open(os.path.join(ROOT, "categorical", "catboost.json")))
    doc["ctr_data"].pop(doc["features_info"]["ctrs"][0]["identifier"])
    with open(os.path.join(bad, "missing_ctr_table.json"), "w") as f:
        json.dump(doc, f)


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)
    train_case("logloss", "Logloss", 1)
    train_case("multiclass", "MultiClass", 2)
    train_case("multiclass_one_vs_all", "MultiClassOneVsAll", 3)
    train_case("rmse", "RMSE", 4)
    train_case("poisson", "Poisson", 5)
    train_case("quantile", "Quantile:alpha=0.3", 6)
    train_case("multi_rmse", "MultiRMSE", 7)
    # Missing values: nan_mode Min (the default: NaN below every border) and Max.
    train_case("nan_min", "Logloss", 8, nan_fraction=0.2, test_nan=0.2)
    train_case("nan_max", "RMSE", 9, nan_fraction=0.2, test_nan=0.2, nan_mode="Max")
    # Non-symmetric trees.
    train_case("depthwise", "RMSE", 10, grow_policy="Depthwise", depth=5, nan_fraction=0.1, test_nan=0.1)
    train_case("lossguide", "MultiClass", 11, grow_policy="Lossguide", max_leaves=12, depth=6)
    # Many deep trees: the Double sums must still agree within 1e-6.
    train_case("many_trees", "RMSE", 12, iterations=120, depth=6)
    # scale_and_bias other than [1, [0]] (as sum_models and set_scale_and_bias leave them).
    # Categorical features: CTRs (Borders, Counter) on single categories and on combinations
    # with other categories and binarized floats, one-hot values, integer categories, and a
    # model with no float features at all.
    categorical_case("categorical", "Logloss", 14, one_hot_max_size=1, max_ctr_complexity=1)
    categorical_case("categorical_combinations", "MultiClass", 15, max_ctr_complexity=3,
                     test_nan=0.1)
    categorical_case("categorical_one_hot", "RMSE", 16, strings=3, integers=1, one_hot_max_size=6)
    categorical_case("categorical_only", "Logloss", 17, cols=0, strings=2, integers=1)
    categorical_case("categorical_buckets", "MultiClass", 18, one_hot_max_size=1,
                     simple_ctr=["Buckets"], combinations_ctr=["Buckets"])
    scaled = train_case("scaled", "RMSE", 13)
    scaled.set_scale_and_bias(0.5, 2.25)
    rng, x = data(13, 5)
    write_case("scaled", scaled, "RMSE", x[TRAIN_ROWS:])
    write_bad_fixtures(os.path.join(ROOT, "logloss", "catboost.json"))


if __name__ == "__main__":
    main()
