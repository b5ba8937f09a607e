#!/usr/bin/env python3
"""Compiled tree models as references for bench/backend_speed.py, and issue #19's tree models.

Two compilers turn a tree model into machine code, and the benchmark times their predict next to
the library's and Sluice's:
  tl2cgen   Treelite's compiler: the model (XGBoost or LightGBM) read by `treelite`, written out as C
            by `tl2cgen.export_lib` and compiled by gcc -O3 (tl2cgen's own flags) into a shared
            library; timed as `Predictor(nthread=1).predict` on a `tl2cgen.DMatrix` built beforehand.
  lleaves   LightGBM models compiled by LLVM (`lleaves.Model.compile`); timed as
            `predict(ndarray, n_jobs=1)`.
Both answer what the library's predict answers (probabilities for a binary model); `check` makes
sure they do on the benchmark's rows before anything is timed.

Compiling is not timed, and it is slow for big ensembles (minutes of gcc for 1,000 trees of 255
leaves), so each compile runs in a child process group killed after COMPILE_TIMEOUT seconds, and
its result is kept in CACHE, keyed by the model file's hash and the compiler's version: later runs
load it at once. A missing compiler, a timeout or a failed compile skips that reference with a
message; the library and Sluice are still timed.

The issue's models the bundled ones do not cover (`issue_models`): a LightGBM regression of 1,000
trees × 255 leaves and an XGBoost binary classifier of 50 trees of depth 6, trained on
synthetic rows with fixed seeds in a temporary folder, then kept in CACHE as well (training the
LightGBM one takes about 20 s).

    python3 bench/compiled_trees.py compile tl2cgen|lleaves xgboost|lightgbm MODEL OUT
is how the parent runs a compile in its child; not meant to be run by hand.
"""
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
# Under .build/ (ignored by git, removed by `swift package clean`): compiled libraries and trained models.
CACHE = os.path.join(ROOT, ".build", "bench-trees")
COMPILE_TIMEOUT = int(os.environ.get("SLUICE_BENCH_COMPILE_TIMEOUT", "1800"))
TRAIN_TIMEOUT = int(os.environ.get("SLUICE_BENCH_TRAIN_TIMEOUT", "1800"))

# Issue #19's LightGBM model: 1,000 trees, 255 leaves each (every tree reaches 255 with these
# rows), over 16 features; and its XGBoost one: 50 trees, depth 6, over 20 features.
BIG_LGBM = "lgbm-1000x255 (lightgbm, 1000 trees)"
XGB_50 = "xgb-50 (xgboost, 50 trees, depth 6)"
ISSUE_MODELS = {BIG_LGBM: ("lightgbm", "lgbm-1000x255.txt", 16), XGB_50: ("xgboost", "xgb-50.json", 20)}


def _synthetic(features, rows, seed, noisy=False):
    """Rows and binary labels (or, `noisy`, a continuous target with noise) with interactions, so
    deep trees have something to split on."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).astype(np.float32)
    target = x[:, 0] * x[:, 1] + np.sin(3 * x[:, 2]) + 0.3 * x[:, 3:8].sum(axis=1) + rng.normal(scale=0.5, size=rows)
    return x, (target if noisy else (target > 0).astype(np.int32))


def _train(kind, path):
    """Trains one of ISSUE_MODELS into `path` (run in a child: see `issue_models`)."""
    features = {"lightgbm": 16, "xgboost": 20}[kind]
    if kind == "lightgbm":
        import lightgbm as lgb
        # A regression on a noisy target, so every tree still finds 255 leaves worth growing (a
        # classifier's later trees stop early); 5,000 rows, 63 bins and row-wise histograms keep
        # the training short.
        x, y = _synthetic(features, 5000, seed=19, noisy=True)
        params = {"objective": "regression", "num_leaves": 255, "min_data_in_leaf": 5, "max_bin": 63,
                  "learning_rate": 0.05, "num_threads": 1, "seed": 19, "deterministic": True,
                  "force_row_wise": True, "verbose": -1}
        lgb.train(params, lgb.Dataset(x, y), num_boost_round=1000).save_model(path)
    else:
        import xgboost as xgb
        x, y = _synthetic(features, 5000, seed=20)
        params = {"objective": "binary:logistic", "max_depth": 6, "nthread": 1, "seed": 20}
        xgb.train(params, xgb.DMatrix(x, y), num_boost_round=50).save_model(path)


def _run_child(args, timeout, what):
    """Runs this script with `args` in a new process group (so a compiler it starts dies with it),
    killed after `timeout` seconds. Returns None on success, else why not."""
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__)] + args, start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return f"{what} took over {timeout} s (SLUICE_BENCH_COMPILE_TIMEOUT / _TRAIN_TIMEOUT raise it)"
    if child.returncode != 0:
        last = [line for line in out.splitlines() if line.strip()][-1:] or ["no output"]
        return f"{what} failed: {last[0]}"
    return None


def issue_models(only=""):
    """(label, kind, path, features) for those of ISSUE_MODELS whose label contains `only`,
    trained once into CACHE; a model whose training fails or times out is left out with a message."""
    os.makedirs(CACHE, exist_ok=True)
    for label, (kind, name, features) in ISSUE_MODELS.items():
        if only not in label:
            continue
        path = os.path.join(CACHE, name)
        if not os.path.exists(path):
            print(f"training {label} (once; kept in {CACHE})", file=sys.stderr)
            with tempfile.TemporaryDirectory() as tmp:
                fresh = os.path.join(tmp, name)
                why = _run_child(["train", kind, fresh], TRAIN_TIMEOUT, f"training {label}")
                if why:
                    print(f"SKIP {label}: {why}")
                    continue
                shutil.move(fresh, path)
        yield label, kind, path, features


def _compile(tool, kind, model, out):
    """Compiles `model` with `tool` into the shared library `out` (run in a child)."""
    if tool == "tl2cgen":
        import tl2cgen
        import treelite
        load = treelite.frontend.load_lightgbm_model if kind == "lightgbm" else treelite.frontend.load_xgboost_model
        # Several translation units so gcc's time and memory per unit stay bounded.
        tl2cgen.export_lib(load(model), "gcc", out, params={"parallel_comp": 8}, nthread=2)
    else:
        import lleaves
        lleaves.Model(model_file=model).compile(cache=out)


def _version(tool):
    from importlib.metadata import version
    return version(tool) + ("+llvmlite" + version("llvmlite") if tool == "lleaves" else "")


class Reference:
    """One compiled model, loaded in this process; `time(x, reps)` as the library classes'."""

    def __init__(self, tool):
        self.tool = tool
        self.predictor = None

    def load(self, kind, model):
        if self.tool == "tl2cgen":
            import tl2cgen
            import treelite
            self.tl2cgen = tl2cgen
            self.predictor = tl2cgen.Predictor(library_path(self.tool, model), nthread=1)
            # The generated code reads the type of the model's thresholds: float32 for XGBoost,
            # float64 for LightGBM (treelite keeps LightGBM's doubles).
            load = treelite.frontend.load_lightgbm_model if kind == "lightgbm" else treelite.frontend.load_xgboost_model
            self.dtype = str(load(model).input_type)
        else:
            import lleaves
            self.predictor = lleaves.Model(model_file=model)
            self.predictor.compile(cache=library_path(self.tool, model))

    def predict(self, x):
        if self.tool == "tl2cgen":
            return self.predictor.predict(self._matrix(x)).reshape(len(x), -1)
        return self.predictor.predict(x, n_jobs=1).reshape(len(x), -1)

    def _matrix(self, x):
        # tl2cgen's DMatrix wraps an array of exactly its type (NumPy 2 refuses its copy=False cast).
        return self.tl2cgen.DMatrix(np.ascontiguousarray(x, dtype=self.dtype), dtype=self.dtype, missing=np.nan)

    def time(self, x, reps, median_us):
        if self.tool == "tl2cgen":
            # One DMatrix built beforehand (tl2cgen caches no predictions, so reusing it is fair).
            dmat = self._matrix(x)
            return median_us(lambda _: self.predictor.predict(dmat), reps)
        return median_us(lambda _: self.predictor.predict(x, n_jobs=1), reps)


def library_path(tool, model):
    with open(model, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    return os.path.join(CACHE, f"{tool}-{_version(tool)}-{digest}.so")


def references(kind, model, x, want):
    """The compiled references for a `kind` model at `model` that answer `want` (the library's
    predict on `x`) within 1e-4 relative; a reference that cannot be built or answers otherwise is
    left out with a message."""
    tools = ["tl2cgen"] + (["lleaves"] if kind == "lightgbm" else [])
    os.makedirs(CACHE, exist_ok=True)
    found = []
    for tool in tools:
        try:
            path = library_path(tool, model)
        except ImportError as error:
            print(f"SKIP {tool} for {os.path.basename(model)}: {error} (scripts/ensure-deps.sh bench)")
            continue
        except Exception as error:  # importlib's PackageNotFoundError
            print(f"SKIP {tool} for {os.path.basename(model)}: not installed ({error}; scripts/ensure-deps.sh bench)")
            continue
        if not os.path.exists(path):
            print(f"compiling {os.path.basename(model)} with {tool} (once; kept in {CACHE})", file=sys.stderr)
            with tempfile.TemporaryDirectory() as tmp:
                fresh = os.path.join(tmp, "model.so")
                why = _run_child(["compile", tool, kind, model, fresh], COMPILE_TIMEOUT, f"{tool} compiling")
                if why:
                    print(f"SKIP {tool} for {os.path.basename(model)}: {why}")
                    continue
                shutil.move(fresh, path)
        reference = Reference(tool)
        reference.load(kind, model)
        got = reference.predict(x).reshape(want.shape)
        if not np.allclose(got, want, rtol=1e-4, atol=1e-6):
            print(f"SKIP {tool} for {os.path.basename(model)}: answers differ from the library's "
                  f"(max difference {np.max(np.abs(got - want)):.3g})")
            continue
        found.append(reference)
    return found


if __name__ == "__main__":
    if sys.argv[1:2] == ["compile"] and len(sys.argv) == 6:
        _compile(*sys.argv[2:])
    elif sys.argv[1:2] == ["train"] and len(sys.argv) == 4:
        _train(*sys.argv[2:])
    else:
        sys.exit(__doc__.split("\n\n")[-1])
