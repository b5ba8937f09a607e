#!/usr/bin/env python3
"""Writes ONNX reference fixtures for the scikit-learn model kinds whose exports combine the
operators of issue 18, exported by skl2onnx exactly as a user would (default options but
zipmap=False), with onnxruntime's answers, into Tests/SluiceBackendsTests/Fixtures/onnx/<case>/
in make_onnx_fixtures.py's format:

  knn_classifier      KNeighborsClassifier(5): Scan (pairwise distances), TopK, ArrayFeatureExtractor
  knn_regressor       KNeighborsRegressor(3): Scan, TopK, ReduceMean
  isolation_forest    IsolationForest(20 trees): TreeEnsembleRegressor, LabelEncoder, path-length maths
  gaussian_nb         GaussianNB: ReduceLogSumExp, Pow, Exp
  kmeans              KMeans(3): ReduceSumSquare, Gemm, ArgMin (labels and distances)
  pca                 PCA(2)

Seeded, single-threaded; a rerun with the same libraries writes the same files.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.naive_bayes import GaussianNB  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor  # noqa: E402

import make_onnx_fixtures as base  # noqa: E402


def main():
    rng = np.random.default_rng(1818)
    x = rng.normal(size=(300, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    rows = np.concatenate([rng.normal(size=(6, 4)), np.zeros((1, 4)), x[:1]]).astype(np.float32)
    cases = [
        ("knn_classifier", KNeighborsClassifier(5).fit(x, y), "KNeighborsClassifier"),
        ("knn_regressor", KNeighborsRegressor(3).fit(x, x[:, 0]), "KNeighborsRegressor"),
        ("isolation_forest", IsolationForest(n_estimators=20, random_state=0).fit(x), "IsolationForest"),
        ("gaussian_nb", GaussianNB().fit(x, y), "GaussianNB"),
        ("kmeans", KMeans(3, n_init=3, random_state=0).fit(x), "KMeans"),
        ("pca", PCA(2, random_state=0).fit(x), "PCA"),
    ]
    for name, model, objective in cases:
        base.write_case(name, base.export(model, 4), rows, objective)
        print(name)


if __name__ == "__main__":
    main()
