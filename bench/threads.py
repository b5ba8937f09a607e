#!/usr/bin/env python3
"""Intra-op threads (issue #19 goal 2): one large call on 1 and 2 threads, Sluice against the library.

For each case it times, on the same rows, in rounds that alternate the four so all see the same
machine load:
  Sluice 1 thread    `Backend.infer` in-process (`sluice-micro backend-speed … 1`)
  Sluice N threads   the call cut into N slices of rows run at once, as a version with
                     `threads_per_inference: N` runs a costly request (`… N`, IntraOpPool)
  library 1 thread   onnxruntime intra_op_num_threads=1 / xgboost nthread=1
  library default    onnxruntime intra_op_num_threads=0 / xgboost without nthread: every core
and prints the median time per call, Sluice's speed-up from its own threads, and each Sluice
figure over the library's with the same thread count and over its default.

Cases: the wide MLP (bench/compute_models.py) at 64 and 1,024 rows, the ResNet block at 32 images,
XGBoost fraud v2 (60 trees) at 1,024 and 8,192 rows.

Run through bench/threads.sh, which builds sluice-micro first.
"""
import argparse
import os
import statistics
import sys
import tempfile

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import backend_speed  # noqa: E402
import compute_models  # noqa: E402
from backend_speed import ROOT, median_us, sluice  # noqa: E402


class ONNXThreads(backend_speed.ONNXModel):
    """onnxruntime with `threads` intra-op threads (0 = its default, one per core)."""

    def __init__(self, path, threads):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.name = self.session.get_inputs()[0].name
        self.path = path


class XGBoostThreads(backend_speed.XGBoostModel):
    """xgboost's inplace_predict with `threads` threads (0 = every core: its default without
    OMP_NUM_THREADS, which this script sets to 1 for OpenBLAS, so it is given explicitly)."""

    def __init__(self, path, threads):
        super().__init__(path)
        self.booster = self.xgb.Booster(params={"nthread": threads or os.cpu_count()}, model_file=path)

    def time(self, x, reps):
        return median_us(lambda _: self.booster.inplace_predict(x), reps), "inplace_predict"


def cases(tmp):
    """(label, library class, path, shape without the batch, [(batch, reps)])."""
    wide = compute_models.write(tmp, "wide_mlp")
    resnet = compute_models.write(tmp, "resnet_block")
    return [
        ("wide-mlp (onnx, 256-2048-2048-10)", ONNXThreads, wide, [256], [(64, 30), (1024, 6)]),
        ("resnet block (onnx, 64x56x56)", ONNXThreads, resnet, [64, 56, 56], [(32, 4)]),
        ("fraud v2 (xgboost, 60 trees)", XGBoostThreads, os.path.join(ROOT, "models/fraud/2/model.json"), [20],
         [(1024, 200), (8192, 40)]),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--micro", default=os.path.join(ROOT, ".build", "release", "sluice-micro"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="Sluice's threads_per_inference to compare with 1")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the repetitions")
    parser.add_argument("--only", default="", help="time only the cases whose label contains this")
    args = parser.parse_args()
    rng = np.random.default_rng(2027)
    table = {}  # (label, batch) -> {column: [µs per round]}
    columns = ["sluice 1", f"sluice {args.threads}", "library 1", "library default"]
    with tempfile.TemporaryDirectory() as tmp:
        chosen = [c for c in cases(tmp) if args.only in c[0]]
        prepared = []
        for i, (label, cls, path, shape, batches) in enumerate(chosen):
            x = rng.normal(size=[max(b for b, _ in batches)] + shape).astype(np.float32)
            rows = os.path.join(tmp, f"rows{i}.f32")
            x.tofile(rows)
            prepared.append((label, cls(path, 1), cls(path, 0), shape, batches, x, rows))
        for r in range(args.rounds):
            for label, one, default, shape, batches, x, rows in prepared:
                reps = [max(3, int(n * args.scale)) for _, n in batches]
                sizes = [b for b, _ in batches]
                for threads in (1, args.threads):
                    ours, why = sluice(args.micro, one, shape, rows, sizes, reps, threads)
                    if ours is None:
                        sys.exit(f"Sluice cannot load {label}: {why}")
                    for b in sizes:
                        want = float(np.sum(x[:b].astype(np.float64)))
                        assert abs(ours[b][1] - want) <= 1e-3 * max(1, abs(want)), "Sluice read other rows"
                        table.setdefault((label, b), {}).setdefault(f"sluice {threads}", []).append(ours[b][0])
                for name, model in (("library 1", one), ("library default", default)):
                    for b, n in zip(sizes, reps):
                        table[(label, b)].setdefault(name, []).append(model.time(x[:b], n)[0])
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    n = args.threads
    print(f"\nmedian µs per call over {args.rounds} rounds; ratios are medians of the per-round ratios "
          f"(per round in brackets)\n")
    print(f"{'model':34s} {'batch':>5s} " + " ".join(f"{c:>15s}" for c in columns)
          + f"  {'Sluice 1/' + str(n):>12s}  {'S' + str(n) + '/lib default':>16s}  {'S1/lib 1':>9s}")
    for (label, b), cols in table.items():
        def ratio(a, c):
            per = [p / q for p, q in zip(cols[a], cols[c])]
            return f"{statistics.median(per):.2f} [{' '.join(f'{q:.2f}' for q in per)}]"
        medians = " ".join(f"{statistics.median(cols[c]):15.1f}" for c in columns)
        print(f"{label:34s} {b:5d} {medians}  {ratio('sluice 1', f'sluice {n}'):>12s}  "
              f"{ratio(f'sluice {n}', 'library default'):>16s}  {ratio('sluice 1', 'library 1'):>9s}")


if __name__ == "__main__":
    main()
