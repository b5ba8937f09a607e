#!/usr/bin/env python3
"""Sluice's backends against the reference libraries, per batch, one thread each, one run.

For each model and batch size (1, 64, 1024 rows; the transformer layer 1 and 8; issue #19's compute
models at the batches in BATCHES_OF) it times the library's predict from Python
and Sluice's `Backend.infer` in-process (`sluice-micro backend-speed`, a release build), on the
same rows (a temporary Float32 file both read), and prints the median time per call and the
ratio Sluice / library. Rounds alternate library and Sluice so both see the same machine load;
the summary gives the median ratio and its spread over rounds.

What is timed on the library side, one call on arrays built beforehand:
  xgboost      Booster.predict on a DMatrix built beforehand and never predicted before (a
               DMatrix that was predicted once hits xgboost's prediction cache and walks no
               trees), and Booster.inplace_predict on the ndarray; the table compares against
               the faster of the two and names it.
  lightgbm     Booster.predict(ndarray, num_threads=1) (its only predict).
  compiled     for the tree models, the same model compiled to machine code (bench/compiled_trees.py:
               Treelite's tl2cgen, gcc -O3, and lleaves for LightGBM), each predicting with one
               thread; the table compares against the faster and names it. Compiling is not timed.
  onnxruntime  InferenceSession.run with intra/inter_op_num_threads=1, sequential execution,
               default graph optimisations.
Sluice's side is Backend.infer on an input tensor built beforehand: its outputs (e.g. both
`probabilities` and `label` for a classifier) are built on every call.

Besides the bundled tree models, issue #19's (bench/compiled_trees.py): LightGBM 1,000 trees ×
255 leaves and XGBoost 50 trees of depth 6, trained once with fixed seeds.

The transformer layer is scripts/make_transformer_fixtures.py's `transformer_model` at BERT
scale, written to a temporary file: hidden 256, 4 heads, sequence 128, feed-forward 1024,
LayerNormalization and Gelu operators, MatMul attention with Softmax over the last axis.

Run through bench/backend-speed.sh, which builds sluice-micro first. Numbers are from whatever
else the machine is doing; quote ratios from one run only.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compiled_trees  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BATCHES = [1, 64, 1024]
# Models timed at other batch sizes than BATCHES: a sequence model's batch is a few sequences.
BATCHES_OF = {
    "lstm (onnx, 64-128, 50 steps)": [1, 8],
    "wide-mlp (onnx, 256-2048-2048-10)": [1, 64],
    "resnet block (onnx, 64x56x56)": [32],
    "mobilenet block (onnx, 64x56x56)": [32],
    "bert layer (onnx, decomposed, 128x256)": [32],
}
# Repetitions per batch for models whose calls take milliseconds (the default suits microseconds).
REPS_OF = {
    "wide-mlp (onnx, 256-2048-2048-10)": {1: 200, 64: 30},
    "resnet block (onnx, 64x56x56)": {32: 5},
    "mobilenet block (onnx, 64x56x56)": {32: 10},
    "bert layer (onnx, decomposed, 128x256)": {32: 5},
    compiled_trees.BIG_LGBM: {1: 300, 64: 60, 1024: 10},
}
ONNX_FIXTURES = os.path.join(ROOT, "Tests", "SluiceBackendsTests", "Fixtures", "onnx")


def reps_for(batch, scale):
    return max(20, int(scale * {1: 2000, 64: 400}.get(batch, 60)))


TRANSFORMER_BATCHES = [1, 8]


def transformer_reps(batch, scale):
    # A call is milliseconds, not microseconds: fewer repetitions give as steady a median.
    return max(10, int(scale * {1: 100}.get(batch, 30)))


def transformer_file(folder):
    """The benchmark's encoder layer as an ONNX file in `folder`."""
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    from make_transformer_fixtures import transformer_model
    model = transformer_model(seed=40, seq=128, hidden=256, heads=4, einsum=False, extras=False)
    path = os.path.join(folder, "transformer.onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return path


def median_us(call, reps, setup=None):
    samples = []
    for i in range(max(3, reps // 10)):
        call(setup(i) if setup else None)
    for i in range(reps):
        arg = setup(i) if setup else None
        start = time.perf_counter_ns()
        call(arg)
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


class XGBoostModel:
    kind = "xgboost"

    def __init__(self, path):
        import xgboost as xgb
        self.xgb = xgb
        self.booster = xgb.Booster(params={"nthread": 1}, model_file=path)
        self.path = path

    def time(self, x, reps):
        # One fresh DMatrix per call, built outside the timed region.
        pool = [self.xgb.DMatrix(x, nthread=1) for _ in range(reps + max(3, reps // 10))]
        predict = median_us(lambda d: self.booster.predict(d), reps, setup=lambda i: pool[i])
        inplace = median_us(lambda _: self.booster.inplace_predict(x), reps)
        if predict <= inplace:
            return predict, "predict(DMatrix)"
        return inplace, "inplace_predict"

    def predict(self, x):
        return self.booster.predict(self.xgb.DMatrix(x, nthread=1))


class LightGBMModel:
    kind = "lightgbm"

    def __init__(self, path):
        import lightgbm as lgb
        self.booster = lgb.Booster(model_file=path)
        self.path = path

    def time(self, x, reps):
        return median_us(lambda _: self.booster.predict(x, num_threads=1), reps), "predict"

    def predict(self, x):
        return self.booster.predict(x, num_threads=1)


class ONNXModel:
    kind = "onnx"

    def __init__(self, path):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.name = self.session.get_inputs()[0].name
        self.path = path

    def time(self, x, reps):
        feed = {self.name: x}
        return median_us(lambda _: self.session.run(None, feed), reps), "run"


def models(include_onnx, tmp, only):
    """(label, model, input shape without the batch, rows, batches) for each benchmarked model."""
    rng = np.random.default_rng(2026)
    found = [
        ("fraud v1 (xgboost, 20 trees)", XGBoostModel, "models/fraud/1/model.json", [20], 0.0),
        ("fraud v2 (xgboost, 60 trees)", XGBoostModel, "models/fraud/2/model.json", [20], 0.0),
        ("churn-lgbm (lightgbm, 60 trees)", LightGBMModel, "models/churn-lgbm/1/model.txt", [10], 0.03),
    ]
    kinds = {"xgboost": XGBoostModel, "lightgbm": LightGBMModel}
    found += [(label, kinds[kind], path, [features], 0.0)
              for label, kind, path, features in compiled_trees.issue_models(only)]
    if include_onnx:
        found += [
            ("mlp (onnx, 16-32-32-10)", ONNXModel, os.path.join(ONNX_FIXTURES, "mlp", "model.onnx"), [16], 0.0),
            ("cnn (onnx, 1x8x8)", ONNXModel, os.path.join(ONNX_FIXTURES, "cnn", "model.onnx"), [1, 8, 8], 0.0),
        ]
        # An LSTM layer (input 64, hidden 128, 50 steps) as torch.onnx.export writes it, built
        # by scripts/make_rnn_fixtures.py into a temporary file; timed at batches 1 and 8.
        sys.path.insert(0, os.path.join(ROOT, "scripts"))
        from make_rnn_fixtures import lstm_layer
        lstm = os.path.join(tmp, "lstm.onnx")
        with open(lstm, "wb") as f:
            f.write(lstm_layer(50, 64, 128).SerializeToString())
        found.append(("lstm (onnx, 64-128, 50 steps)", ONNXModel, lstm, [50, 64], 0.0))
        # Issue #19's compute models (bench/compute_models.py): a wide MLP, a ResNet basic block, a
        # MobileNet depthwise-separable block and a BERT encoder layer with decomposed LayerNorm
        # and GELU, written to temporary files.
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import compute_models
        for name, label in [("wide_mlp", "wide-mlp (onnx, 256-2048-2048-10)"),
                            ("resnet_block", "resnet block (onnx, 64x56x56)"),
                            ("mobilenet_block", "mobilenet block (onnx, 64x56x56)"),
                            ("bert_layer", "bert layer (onnx, decomposed, 128x256)")]:
            found.append((label, ONNXModel, compute_models.write(tmp, name), compute_models.INPUT_SHAPES[name], 0.0))
        digits = "models/digits-mlp/1/model.onnx"
        if os.path.exists(os.path.join(ROOT, digits)):
            found.append(("digits-mlp (onnx, 64-32-10)", ONNXModel, digits, [64], 0.0))
    for label, cls, path, shape, missing in found:
        x = rng.normal(size=[max(BATCHES_OF.get(label, BATCHES))] + shape).astype(np.float32)
        if missing:
            x[rng.random(x.shape) < missing] = np.nan
        yield label, cls(os.path.join(ROOT, path)), shape, x, BATCHES_OF.get(label, BATCHES)
    if include_onnx:
        shape = [128, 256]
        x = rng.normal(size=[max(TRANSFORMER_BATCHES)] + shape).astype(np.float32)
        yield "transformer (onnx, 128x256, 4h)", ONNXModel(transformer_file(tmp)), shape, x, TRANSFORMER_BATCHES


def sluice(micro, model, shape, rows_file, batches, reps, threads=1):
    """Sluice's median µs per call and the input sum it read, per batch; `threads` above 1 runs
    each call as that many slices at once (bench/threads.py)."""
    command = [micro, "backend-speed", model.kind, model.path, rows_file, "x".join(map(str, shape)),
               ",".join(map(str, batches)), ",".join(map(str, reps))] + ([str(threads)] if threads != 1 else [])
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if out.startswith("SKIP"):
        return None, out.strip()
    results = {}
    for line in out.splitlines():
        if line.startswith("RESULT"):
            fields = dict(f.split("=") for f in line.split()[1:])
            results[int(fields["batch"])] = (int(fields["median_ns"]) / 1000, float(fields["input_sum"]))
    return results, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--micro", default=os.path.join(ROOT, ".build", "release", "sluice-micro"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the repetitions")
    parser.add_argument("--no-onnx", action="store_true")
    parser.add_argument("--only", default="", help="time only the models whose label contains this")
    args = parser.parse_args()
    include_onnx = not args.no_onnx
    if include_onnx:
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            print("SKIP onnx: onnxruntime is not installed (pip install onnxruntime)")
            include_onnx = False

    table = {}  # (label, batch) -> list of (sluice µs, library µs, what)
    skipped = set()
    with tempfile.TemporaryDirectory() as tmp:
        cases = [c for c in models(include_onnx, tmp, args.only) if args.only in c[0]]
        files = {}
        compiled = {}  # label -> compiled references (tree models only)
        for i, (label, model, shape, x, batches) in enumerate(cases):
            files[label] = os.path.join(tmp, f"rows{i}.f32")
            x.tofile(files[label])
            if model.kind in ("xgboost", "lightgbm"):
                compiled[label] = compiled_trees.references(model.kind, model.path, x, model.predict(x))
        for r in range(args.rounds):
            for label, model, shape, x, batches in cases:
                if label in skipped:
                    continue
                count = transformer_reps if batches is TRANSFORMER_BATCHES else reps_for
                reps = [max(3, int(args.scale * REPS_OF[label][b])) if label in REPS_OF else count(b, args.scale)
                        for b in batches]
                lib = {b: model.time(x[:b], n) for b, n in zip(batches, reps)}
                # The fastest compiled reference per batch, or None.
                fast = {b: min(((c.time(x[:b], n, median_us), c.tool) for c in compiled.get(label, [])),
                               default=None) for b, n in zip(batches, reps)}
                ours, why = sluice(args.micro, model, shape, files[label], batches, reps)
                if ours is None:
                    print(f"SKIP {label}: Sluice cannot load it in this build ({why})")
                    skipped.add(label)
                    continue
                for b in batches:
                    want = float(np.nansum(x[:b].astype(np.float64)))
                    assert abs(ours[b][1] - want) <= 1e-3 * max(1, abs(want)), "Sluice read other rows"
                    table.setdefault((label, b), []).append((ours[b][0], *lib[b], fast[b]))
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    print(f"\n{'model':34s} {'batch':>5s} {'Sluice µs':>10s} {'library µs':>11s} {'ratio':>6s}  "
          f"{'ratio per round':24s} library call")
    for (label, b), samples in table.items():
        ratios = [s / lib for s, lib, _, _ in samples]
        s_med = statistics.median(s for s, _, _, _ in samples)
        l_med = statistics.median(lib for _, lib, _, _ in samples)
        calls = sorted({what for _, _, what, _ in samples})
        print(f"{label:34s} {b:5d} {s_med:10.1f} {l_med:11.1f} {statistics.median(ratios):6.2f}  "
              f"{' '.join(f'{q:.2f}' for q in ratios):24s} {'/'.join(calls)}")
    # Tree models against the same model compiled to machine code (bench/compiled_trees.py).
    against = {key: samples for key, samples in table.items() if all(s[3] for s in samples)}
    if against:
        print(f"\n{'model':34s} {'batch':>5s} {'Sluice µs':>10s} {'compiled µs':>11s} {'ratio':>6s}  "
              f"{'ratio per round':24s} compiled by")
    for (label, b), samples in against.items():
        ratios = [s / fast[0] for s, _, _, fast in samples]
        s_med = statistics.median(s for s, _, _, _ in samples)
        c_med = statistics.median(fast[0] for _, _, _, fast in samples)
        tools = sorted({fast[1] for _, _, _, fast in samples})
        print(f"{label:34s} {b:5d} {s_med:10.1f} {c_med:11.1f} {statistics.median(ratios):6.2f}  "
              f"{' '.join(f'{q:.2f}' for q in ratios):24s} {'/'.join(tools)}")


if __name__ == "__main__":
    main()
