#!/usr/bin/env python3
"""The libraries' own time for one call of 1 row and of a full batch, single-threaded, on the
models bench/batching.sh serves: what batching can gain at most (the issue's figures for the wide
MLP: onnxruntime 0.38 ms for 1 row, 104 us a row at 64).

  python3 bench/batching_reference.py REPO     (REPO as made by scripts/make_batching_models.py)

Each figure is the median of up to 200 calls (at most ~2 s a figure) after 10 warm-up calls.
"""
import json
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from make_batching_models import MODELS, library  # noqa: E402


def median_seconds(call):
    for _ in range(10):
        call()
    times, start = [], time.perf_counter()
    while len(times) < 200 and time.perf_counter() - start < 2:
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(repo):
    print(f"{'model':<11} {'library':<24} {'1 row':>10} {'full batch':>16} {'per row':>10}")
    for name in MODELS:
        with open(os.path.join(repo, f"{name}.full.json")) as f:
            request = json.load(f)["inputs"][0]
        full = np.array(request["data"], np.float32).reshape(request["shape"])
        library_name, predict = library(repo, name)
        t1 = median_seconds(lambda: predict(full[:1]))
        tn = median_seconds(lambda: predict(full))
        n = len(full)
        print(f"{name:<11} {library_name + ', 1 thread':<24} {t1 * 1e3:8.3f}ms {tn * 1e3:8.3f}ms ({n:>3}) {tn / n * 1e6:8.1f}us")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
