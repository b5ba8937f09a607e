#!/usr/bin/env python3
"""Writes the model repository bench/batching.sh serves: four models, each twice.

  OUTDIR/<name>/1/model.{onnx,json}   + model.yaml without batching
  OUTDIR/<name>-batched/...           + model.yaml with max_batch_size, dynamic_batching, instances
  OUTDIR/<name>.1row.json             a 1-row V2 JSON infer body
  OUTDIR/<name>.full.json             a body of max_batch_size rows, to time one full batch

Models (issue #17's benchmark):
  wide-mlp    ONNX 256-2048-2048-10: Gemm+Relu, Gemm+Relu, Gemm, Softmax; one row is memory-bound
              (the 2048x2048 weights are read per call), 64 rows compute-bound
  cnn         ONNX 1x28x28 -> Conv 3x3 16ch + Relu -> Conv 3x3 32ch + Relu -> Flatten, Gemm, Softmax
  digits-mlp  the bundled models/digits-mlp (sklearn MLPClassifier through skl2onnx), copied
  xgb500      XGBoost binary:logistic, 500 trees of depth 6 on 32 synthetic features
Every batch dimension is symbolic, so one graph serves 1 row or 64. Seeded and single-threaded:
a rerun with the same libraries writes the same files.

  python3 scripts/make_batching_models.py OUTDIR [--no-instances]
  python3 scripts/make_batching_models.py OUTDIR --verify http://127.0.0.1:PORT

--no-instances leaves `instances: 1` out of the batched model.yaml, for a Sluice that does not
know the key yet. --verify posts each 1-row body to a running Sluice serving OUTDIR and prints
the max abs difference from onnxruntime / xgboost on the same row (exit 1 past 1e-4).
"""
import json
import os
import shutil
import sys
import urllib.request

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
# name -> (model file, backend, max_batch_size, preferred_batch_sizes) of the batched twin. The
# preferred size is the full batch: at 64 connections and one instance, the requests answered by
# one batch come back while nothing runs, so waiting for all of them costs less than a round trip.
MODELS = {
    "wide-mlp": ("model.onnx", "onnx", 64, [64]),
    "cnn": ("model.onnx", "onnx", 64, [64]),
    "digits-mlp": ("model.onnx", "onnx", 256, [64, 256]),
    "xgb500": ("model.json", "xgboost", 64, [64]),
}
MAX_QUEUE_DELAY_US = 2000


def yaml_text(name, backend, batched, instances):
    lines = [f"# bench/batching.sh: {name}, batching {'on' if batched else 'off'}.",
             f"backend: {backend}", "version_policy: {latest: 1}"]
    if batched:
        _, _, max_batch, preferred = MODELS[name]
        lines += [f"max_batch_size: {max_batch}",
                  f"dynamic_batching: {{max_queue_delay_us: {MAX_QUEUE_DELAY_US}, "
                  f"preferred_batch_sizes: {preferred}}}"]
        if instances:
            lines.append("instances: 1")
    return "\n".join(lines) + "\n"


def dense_graph(helper, TensorProto, numpy_helper, rng, name, sizes):
    """Gemm(+Relu) layers over `sizes`, then Softmax; weights He-scaled so activations stay O(1)."""
    nodes, inits = [], []
    x = "input"
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        w = (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(np.float32)
        b = (rng.standard_normal(n_out) * 0.01).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        y = f"gemm{i}"
        nodes.append(helper.make_node("Gemm", [x, f"w{i}", f"b{i}"], [y], name=y))
        x = y
        if i < len(sizes) - 2:
            nodes.append(helper.make_node("Relu", [x], [f"relu{i}"], name=f"relu{i}"))
            x = f"relu{i}"
    nodes.append(helper.make_node("Softmax", [x], ["probabilities"], name="softmax", axis=1))
    return helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", sizes[0]])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", sizes[-1]])], inits)


def cnn_graph(helper, TensorProto, numpy_helper, rng):
    nodes, inits = [], []
    x, channels = "input", 1
    for i, out_channels in enumerate([16, 32]):
        fan_in = channels * 9
        w = (rng.standard_normal((out_channels, channels, 3, 3)) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        b = (rng.standard_normal(out_channels) * 0.01).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"conv{i}_w"), numpy_helper.from_array(b, f"conv{i}_b")]
        nodes.append(helper.make_node("Conv", [x, f"conv{i}_w", f"conv{i}_b"], [f"conv{i}"], name=f"conv{i}",
                                      kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("Relu", [f"conv{i}"], [f"relu{i}"], name=f"relu{i}"))
        x, channels = f"relu{i}", out_channels
    flat = channels * 28 * 28
    w = (rng.standard_normal((flat, 10)) * np.sqrt(1.0 / flat)).astype(np.float32)
    inits += [numpy_helper.from_array(w, "fc_w"), numpy_helper.from_array(np.zeros(10, np.float32), "fc_b")]
    nodes += [helper.make_node("Flatten", [x], ["flat"], name="flatten", axis=1),
              helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc"),
              helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1)]
    return helper.make_graph(
        nodes, "cnn", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 28, 28])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 10])], inits)


def save_onnx(graph, path):
    import onnx
    from onnx import helper
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="sluice-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save(model, path)


def body(rows):
    """A V2 JSON infer body for one input named `input` of `rows` (an FP32 array, batch first)."""
    return {"inputs": [{"name": "input", "datatype": "FP32", "shape": list(rows.shape),
                        "data": [float(v) for v in rows.ravel()]}]}


def sample_rows(name, rng, count):
    """`count` rows of the inputs each model was made for (the first row is the 1-row body)."""
    if name == "wide-mlp":
        return rng.standard_normal((count, 256)).astype(np.float32)
    if name == "cnn":
        return rng.random((count, 1, 28, 28)).astype(np.float32)
    if name == "digits-mlp":
        return rng.integers(0, 17, (count, 64)).astype(np.float32)
    return rng.standard_normal((count, 32)).astype(np.float32)


def make(outdir, instances):
    from onnx import TensorProto, helper, numpy_helper
    import xgboost as xgb

    rng = np.random.default_rng(17)
    files = {}
    tmp = os.path.join(outdir, ".build")
    os.makedirs(tmp, exist_ok=True)
    files["wide-mlp"] = os.path.join(tmp, "wide-mlp.onnx")
    save_onnx(dense_graph(helper, TensorProto, numpy_helper, rng, "wide-mlp", [256, 2048, 2048, 10]),
              files["wide-mlp"])
    files["cnn"] = os.path.join(tmp, "cnn.onnx")
    save_onnx(cnn_graph(helper, TensorProto, numpy_helper, rng), files["cnn"])
    files["digits-mlp"] = os.path.join(ROOT, "models", "digits-mlp", "1", "model.onnx")
    x = rng.standard_normal((20000, 32)).astype(np.float32)
    y = (x[:, :8].sum(axis=1) + 0.5 * rng.standard_normal(20000) > 0).astype(np.float32)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 6, "eta": 0.05, "nthread": 1,
                         "seed": 17}, xgb.DMatrix(x, y), 500)
    files["xgb500"] = os.path.join(tmp, "xgb500.json")
    booster.save_model(files["xgb500"])

    for name, (filename, backend, max_batch, _) in MODELS.items():
        for batched in (False, True):
            model = name + ("-batched" if batched else "")
            os.makedirs(os.path.join(outdir, model, "1"), exist_ok=True)
            shutil.copyfile(files[name], os.path.join(outdir, model, "1", filename))
            with open(os.path.join(outdir, model, "model.yaml"), "w") as f:
                f.write(yaml_text(name, backend, batched, instances))
        rows = sample_rows(name, rng, max_batch)
        for suffix, count in (("1row", 1), ("full", max_batch)):
            with open(os.path.join(outdir, f"{name}.{suffix}.json"), "w") as f:
                json.dump(body(rows[:count]), f)
    shutil.rmtree(tmp)
    print(f"wrote {', '.join(MODELS)} (each also -batched{'' if instances else ', without instances'}) to {outdir}")


def library(outdir, name):
    """The library's own predictor for `name`, single-threaded: (its name, rows -> {output: array})."""
    path = os.path.join(outdir, name, "1", MODELS[name][0])
    if MODELS[name][1] == "xgboost":
        import xgboost as xgb
        booster = xgb.Booster(model_file=path)
        booster.set_param({"nthread": 1})

        def predict(rows):
            p1 = booster.inplace_predict(rows)  # binary:logistic: P(1); Sluice answers [P(0), P(1)]
            return {"probabilities": np.stack([1 - p1, p1], axis=1)}
        return "xgboost", predict
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    names, feed = [o.name for o in session.get_outputs()], session.get_inputs()[0].name
    return "onnxruntime", lambda rows: dict(zip(names, session.run(None, {feed: rows})))


def verify(outdir, url):
    worst = 0.0
    for name in MODELS:
        with open(os.path.join(outdir, f"{name}.1row.json"), "rb") as f:
            payload = f.read()
        request = json.loads(payload)["inputs"][0]
        row = np.array(request["data"], np.float32).reshape(request["shape"])
        library_name, predict = library(outdir, name)
        want = predict(row)
        for model in (name, name + "-batched"):
            req = urllib.request.Request(f"{url}/v2/models/{model}/infer", payload,
                                         {"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as response:
                got = {o["name"]: o for o in json.load(response)["outputs"]}
            diff = max(float(np.max(np.abs(np.array(got[k]["data"], np.float64).reshape(got[k]["shape"])
                                           - v.astype(np.float64))))
                       for k, v in want.items() if v.dtype.kind == "f")
            print(f"VERIFY {model}: max abs difference from {library_name} "
                  f"over {', '.join(k for k, v in want.items() if v.dtype.kind == 'f')}: {diff:.3g}")
            worst = max(worst, diff)
    return worst <= 1e-4


def main(argv):
    if len(argv) == 2:
        make(argv[1], instances=True)
    elif len(argv) == 3 and argv[2] == "--no-instances":
        make(argv[1], instances=False)
    elif len(argv) == 4 and argv[2] == "--verify":
        return 0 if verify(argv[1], argv[3].rstrip("/")) else 1
    else:
        print(next(p for p in __doc__.split("\n\n") if "python3" in p), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
