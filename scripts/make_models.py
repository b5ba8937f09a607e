#!/usr/bin/env python3
"""Trains the bundled example repository (models/) and the benchmark request body.

models/fraud/{1,2}/model.json  binary:logistic on 20 synthetic features; version 2 is the
                               bigger, slower-learning challenger served as `canary`.
models/iris/1/model.json       multi:softprob on sklearn's iris (4 features, 3 classes).
bench/infer-1row.json          one V2 JSON infer body for fraud.

Seeded and single-threaded: a rerun with the same libraries writes the same files.
Run: OMP_NUM_THREADS=1 python3 scripts/make_models.py
"""
import json
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import xgboost as xgb  # noqa: E402
from sklearn.datasets import load_iris, make_classification  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FRAUD_YAML = """\
# Two versions of one binary classifier: 1 is stable, 2 is the canary.
backend: xgboost
inputs:
  - {name: input, datatype: FP32, shape: [-1, 20]}
version_policy: {latest: 2}
labels: {stable: 1, canary: 2}
max_batch_size: 256
"""
IRIS_YAML = """\
# sklearn's iris: 4 features in, probabilities for 3 species and a label out.
backend: xgboost
version_policy: {latest: 1}
"""


def save(booster, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    booster.save_model(path)
    size = os.path.getsize(path)
    assert size < 300_000, f"{path} is {size} bytes; keep bundled models small"
    print(f"{os.path.relpath(path, ROOT)}: {size} bytes")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    x, y = make_classification(n_samples=5000, n_features=20, n_informative=8, n_redundant=4,
                               weights=[0.95, 0.05], flip_y=0.01, random_state=42)
    x = x.astype(np.float32)
    dtrain = xgb.DMatrix(x, y)
    v1 = xgb.train({"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "nthread": 1,
                    "seed": 1}, dtrain, 20)
    v2 = xgb.train({"objective": "binary:logistic", "max_depth": 4, "eta": 0.1, "nthread": 1,
                    "subsample": 0.8, "colsample_bytree": 0.8, "seed": 2}, dtrain, 60)
    save(v1, os.path.join(ROOT, "models", "fraud", "1", "model.json"))
    save(v2, os.path.join(ROOT, "models", "fraud", "2", "model.json"))
    write(os.path.join(ROOT, "models", "fraud", "model.yaml"), FRAUD_YAML)

    iris = load_iris()
    booster = xgb.train({"objective": "multi:softprob", "num_class": 3, "max_depth": 3,
                         "eta": 0.3, "nthread": 1, "seed": 3},
                        xgb.DMatrix(iris.data.astype(np.float32), iris.target), 20)
    save(booster, os.path.join(ROOT, "models", "iris", "1", "model.json"))
    write(os.path.join(ROOT, "models", "iris", "model.yaml"), IRIS_YAML)

    row = [float(v) for v in x[0]]
    body = {"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 20], "data": row}]}
    write(os.path.join(ROOT, "bench", "infer-1row.json"), json.dumps(body) + "\n")


if __name__ == "__main__":
    main()
