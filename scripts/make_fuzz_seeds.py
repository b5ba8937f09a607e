#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (fuzz/corpus/<target>/, scripts/fuzz.sh).

Seeds are small, real inputs a fuzzer starts from: requests as clients send them, the shipped
model.yaml and routes.yaml files and the README's examples, and small models of every format.
Tree models are trained here (tiny, so mutations stay fast); ONNX seeds are the test fixtures
under 4 KB, plus those of ONNX's node tests (libonnx-testdata, at most 2 KB each) that reach code
the others do not, as libFuzzer's merge finds them with the fuzz build, named by their test.

Run: python3 scripts/make_fuzz_seeds.py  (needs xgboost, and the fuzz build of scripts/fuzz.sh
for the ONNX node seeds)
"""
import glob
import hashlib
import json
import os
import shutil
import struct
import subprocess
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
FIXTURES = os.path.join(ROOT, "Tests", "SluiceBackendsTests", "Fixtures")


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def copy(target, name, path):
    with open(path, "rb") as f:
        write(target, name, f.read())


def http1():
    body = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 4], "data": [5.1, 3.5, 1.4, 0.2]}]})
    crlf = lambda s: s.replace("\n", "\r\n")
    write("http1", "get-health", crlf("GET /v2/health/ready HTTP/1.1\nHost: localhost\nUser-Agent: curl/7.88.1\nAccept: */*\n\n"))
    write("http1", "post-infer", crlf(f"POST /v2/models/iris/infer HTTP/1.1\nHost: localhost:8080\nContent-Type: application/json\nContent-Length: {len(body)}\n\n") + body)
    chunks = "".join(f"{len(body[i:i + 20]):x}\r\n{body[i:i + 20]}\r\n" for i in range(0, len(body), 20))
    write("http1", "post-chunked", crlf("POST /v2/models/iris/infer HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\nX-Request-Id: abc\n\n") + chunks + "0\r\nx-trailer: 1\r\n\r\n")
    write("http1", "pipelined", crlf("GET /v2 HTTP/1.1\nHost: h\n\nGET /metrics HTTP/1.1\nHost: h\nAccept-Encoding: gzip\n\nGET /v2/health/live HTTP/1.1\nHost: h\nConnection: close\n\n"))
    write("http1", "expect-continue", crlf(f"POST /v1/models/iris:predict HTTP/1.1\nHost: h\nExpect: 100-continue\nContent-Length: 24\n\n") + '{"instances": [[1,2,3,4]]}'[:24])
    write("http1", "http10-keep-alive", crlf("GET /v2 HTTP/1.0\nConnection: keep-alive\n\n"))
    write("http1", "h2c-upgrade", crlf("GET / HTTP/1.1\nHost: h\nConnection: Upgrade, HTTP2-Settings\nUpgrade: h2c\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\n\n"))
    write("http1", "traceparent", crlf("DELETE /v2/routes/r HTTP/1.1\nHost: h\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\nAuthorization: Bearer t\nContent-Length: 0\n\n"))
    write("http1", "smuggle-cl-te", crlf("POST / HTTP/1.1\nHost: h\nContent-Length: 6\nTransfer-Encoding: chunked\n\n0\n\nG"))
    write("http1", "bad-bare-lf", "GET / HTTP/1.1\nHost: h\n\n")


def v2():
    req = {"id": "r1", "inputs": [{"name": "input", "datatype": "FP32", "shape": [2, 2], "data": [1.5, -2, "NaN", 1e-3]}],
           "outputs": [{"name": "probabilities"}, {"name": "label", "parameters": {"binary_data": True}}]}
    write("v2", "json", "\n" + json.dumps(req))
    every = {"inputs": [
        {"name": "b", "datatype": "BOOL", "shape": [2], "data": [True, False]},
        {"name": "u8", "datatype": "UINT8", "shape": [1, 2], "data": [[0, 255]]},
        {"name": "i64", "datatype": "INT64", "shape": [2], "data": [-9223372036854775808, 9223372036854775807]},
        {"name": "f16", "datatype": "FP16", "shape": [1], "data": [65504]},
        {"name": "f64", "datatype": "FP64", "shape": [3], "data": ["Infinity", "-Infinity", 2.5e300]},
        {"name": "s", "datatype": "BYTES", "shape": [2], "data": ["h\u00e9llo", "\\u0000"]},
    ], "parameters": {"binary_data_output": True}}
    write("v2", "every-datatype", "\n" + json.dumps(every))
    header = json.dumps({"inputs": [
        {"name": "x", "datatype": "FP32", "shape": [1, 3], "parameters": {"binary_data_size": 12}},
        {"name": "s", "datatype": "BYTES", "shape": [2], "parameters": {"binary_data_size": 11}},
        {"name": "i", "datatype": "INT32", "shape": [1], "data": [7]},
    ]}).encode()
    binary = struct.pack("<3f", 1.0, float("nan"), -0.5) + struct.pack("<I", 3) + b"abc" + struct.pack("<I", 0)
    write("v2", "binary", str(len(header)).encode() + b"\n" + header + binary)
    write("v2", "no-inputs", '\n{"id": null, "parameters": null, "outputs": null}')


def pb_varint(value):
    value &= (1 << 64) - 1
    out = b""
    while value >= 0x80:
        out += bytes([value & 0x7F | 0x80])
        value >>= 7
    return out + bytes([value])


def pb(field, value):
    """A protobuf field: an int as a varint, bytes or str length-delimited, a (wire type, bytes)
    pair as given (fixed32 = 5, fixed64 = 1)."""
    if isinstance(value, tuple):
        return pb_varint(field << 3 | value[0]) + value[1]
    if isinstance(value, int):
        return pb_varint(field << 3) + pb_varint(value)
    data = value.encode() if isinstance(value, str) else value
    return pb_varint(field << 3 | 2) + pb_varint(len(data)) + data


def packed(field, values):
    return pb(field, b"".join(pb_varint(v) for v in values))


def grpc_infer():
    """ModelInferRequest messages (grpc_service.proto), unframed, as the gRPC transport hands
    them to the decoder."""
    fraud = [0.1] * 30
    raw = pb(1, "fraud") + pb(5, pb(1, "input") + pb(2, "FP32") + packed(3, [1, 30])) \
        + pb(7, struct.pack("<30f", *fraud))
    write("grpc-infer", "raw-fp32", raw)
    contents = pb(1, "m") + pb(2, "1") + pb(3, "r1") \
        + pb(5, pb(1, "b") + pb(2, "BOOL") + packed(3, [2]) + pb(5, packed(1, [1, 0]))) \
        + pb(5, pb(1, "i8") + pb(2, "INT8") + packed(3, [2]) + pb(5, packed(2, [-128, 127]))) \
        + pb(5, pb(1, "u16") + pb(2, "UINT16") + packed(3, [1]) + pb(5, packed(4, [65535]))) \
        + pb(5, pb(1, "i64") + pb(2, "INT64") + packed(3, [1]) + pb(5, packed(3, [-1]))) \
        + pb(5, pb(1, "u64") + pb(2, "UINT64") + packed(3, [1]) + pb(5, packed(5, [2**64 - 1]))) \
        + pb(5, pb(1, "f32") + pb(2, "FP32") + packed(3, [2]) + pb(5, pb(6, struct.pack("<2f", 1.5, float("nan"))))) \
        + pb(5, pb(1, "f64") + pb(2, "FP64") + packed(3, [1]) + pb(5, pb(7, struct.pack("<d", 2.5e300)))) \
        + pb(5, pb(1, "s") + pb(2, "BYTES") + packed(3, [2]) + pb(5, pb(8, "h\u00e9") + pb(8, b""))) \
        + pb(6, pb(1, "b") + pb(2, pb(1, "binary_data") + pb(2, pb(1, 1))))
    write("grpc-infer", "contents-every-datatype", contents)
    # Unpacked repeated fields, a contents message given twice (merged), parameters of every
    # kind, a field given twice (the last wins), unknown fields of each wire type.
    unpacked = pb(1, "a") + pb(1, "m") \
        + pb(4, pb(1, "route") + pb(2, pb(3, "canary"))) + pb(4, pb(1, "n") + pb(2, pb(2, -5))) \
        + pb(4, pb(1, "d") + pb(2, pb(4, (1, struct.pack("<d", 0.5))))) + pb(4, pb(1, "u") + pb(2, pb(5, 7))) \
        + pb(5, pb(1, "x") + pb(3, 2) + pb(3, 2) + pb(5, pb(6, (5, struct.pack("<f", 1))) + pb(6, (5, struct.pack("<f", 2))))
             + pb(5, pb(6, struct.pack("<2f", 3, 4))) + pb(2, "FP32") + pb(4, pb(1, "shm") + pb(2, pb(1, 0)))) \
        + pb(99, 1) + pb(100, (1, bytes(8))) + pb(101, b"xyz") + pb(102, (5, bytes(4)))
    write("grpc-infer", "unpacked-merged-unknown", unpacked)
    strings = pb(1, "m") + pb(5, pb(1, "s") + pb(2, "BYTES") + packed(3, [2])) \
        + pb(5, pb(1, "h") + pb(2, "FP16") + packed(3, [1])) \
        + pb(7, struct.pack("<I", 3) + b"abc" + struct.pack("<I", 0)) + pb(7, struct.pack("<e", 65504))
    write("grpc-infer", "raw-bytes-fp16", strings)


def v1():
    write("v1", "rows", '0{"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3]]}')
    write("v1", "columns", '0{"signature_name": "serving_default", "inputs": [[1, 2, 3, 4]]}')
    write("v1", "named-rows", '1{"instances": [{"a": [1, 2], "b": 3}, {"a": [4, "NaN"], "b": -1}]}')
    write("v1", "named-columns", '1{"inputs": {"a": [[1, 2]], "b": [7]}}')
    write("v1", "bytes", '2{"instances": ["a", "b\\u00e9", {"b64": "aGk="}]}')
    write("v1", "nested", '3{"instances": [{"mask": [[true, false], [false, true]], "x": [[1e308, -0.0], [1, 2]]}]}')


def yaml():
    for path in glob.glob(os.path.join(ROOT, "models", "*", "model.yaml")):
        copy("model-yaml", os.path.basename(os.path.dirname(path)), path)
    write("model-yaml", "every-key", """backend: xgboost
inputs:
  - {name: features, datatype: FP32, shape: [-1, 20]}
outputs:
  - {name: probability, datatype: FP32, shape: [-1, 1]}
version_policy: {specific: [1, 3]}
labels: {stable: 3, canary: 4}
max_batch_size: 256
dynamic_batching: {max_queue_delay_us: 200, preferred_batch_sizes: [16, 64]}
warmup: true
""")
    write("model-yaml", "version-override", "inputs:\n  - name: x\n    datatype: INT64\n    shape: [-1, 2, 3]\n")
    write("model-yaml", "anchors", "version_policy: &p {all: true}\nlabels: {a: 1, 'b': 2, \"c\": 3}\n# x\n")
    copy("routes-yaml", "shipped", os.path.join(ROOT, "config", "routes.yaml"))
    write("routes-yaml", "every-key", """routes:
  - name: fraud-ab
    model: fraud
    split:
      - {label: stable, weight: 90}
      - {version: 2, weight: 10}
    sticky: {cookie: session}
    rules:
      - {match: {header: {x-canary: always}}, label: canary}
      - {match: {header_present: [x-debug, x-trace]}, version: 2}
      - {match: {header_regex: {user-agent: "curl/.*"}}, version: 1}
    shadow: {version: 2, percent: 20, tolerance: 1e-6}
    canary:
      candidate: 2
      steps: [10, 50, 100]
      interval: 60s
      min_requests: 200
      max_error_rate: 0.01
      max_p99_latency_ratio: 1.5
      on_success: promote
      on_failure: rollback
""")
    write("routes-yaml", "put-body", json.dumps({"name": "r", "model": "fraud", "split": [{"version": 1, "weight": 100}],
                                                  "canary": {"candidate": 2, "steps": [5, 100], "interval": "1m", "min_requests": 1,
                                                             "max_error_rate": 0.5, "max_p99_latency_ratio": 2,
                                                             "state": "progressing", "step": 0, "weight": 5, "decisions": []}}))


def trees():
    import numpy as np
    import xgboost as xgb
    rng = np.random.default_rng(14)
    x = rng.normal(size=(200, 3)).astype(np.float32)
    x[rng.random(x.shape) < 0.1] = np.nan
    s = np.nan_to_num(x[:, 0]) - np.nan_to_num(x[:, 1])
    cases = {
        "binary": ({"objective": "binary:logistic"}, (s > 0).astype(np.float32)),
        "softprob": ({"objective": "multi:softprob", "num_class": 3}, np.digitize(s, [-0.5, 0.5]).astype(np.float32)),
        "regression": ({"objective": "reg:squarederror", "booster": "dart"}, s),
    }
    for name, (params, y) in cases.items():
        booster = xgb.train({**params, "max_depth": 2, "nthread": 1, "seed": 0}, xgb.DMatrix(x, label=y), num_boost_round=2)
        for ext in ("json", "ubj"):
            path = f"/tmp/fuzz-seed.{ext}"
            booster.save_model(path)
            copy("xgboost", f"{name}.{ext}", path)
            os.remove(path)
    # LightGBM: a fixture cut to its first iterations (the format needs no tree_sizes to load).
    for case in ("binary", "multiclass", "categorical", "rf"):
        with open(os.path.join(FIXTURES, "lightgbm", case, "model.txt")) as f:
            text = f.read()
        head, _, rest = text.partition("\nTree=0\n")
        per_iteration = int(head.split("num_tree_per_iteration=")[1].split("\n")[0])
        keep = per_iteration if per_iteration > 1 else 2
        trees_text = ("Tree=0\n" + rest).split(f"\nTree={keep}\n")[0].split("end of trees")[0]
        head = "\n".join(l for l in head.split("\n") if not l.startswith("tree_sizes="))
        write("lightgbm", case, head + "\n\n" + trees_text.rstrip() + "\n\nend of trees\n")


def onnx():
    for path in glob.glob(os.path.join(FIXTURES, "onnx", "*", "model.onnx")):
        if os.path.getsize(path) <= 4096:
            copy("onnx", os.path.basename(os.path.dirname(path)), path)
    copy("onnx", "digits-mlp", os.path.join(ROOT, "models", "digits-mlp", "1", "model.onnx"))
    # The hostile files of issue #14 (make_onnx_fixtures.py --hostile): each once killed the
    # server at load, warm-up or its first request; mutating around them finds their neighbours.
    for folder in ("bad", "hostile"):
        for path in glob.glob(os.path.join(FIXTURES, "onnx", folder, "*.onnx")):
            if os.path.getsize(path) <= 4096:
                copy("onnx", f"{folder}-" + os.path.basename(path)[:-len(".onnx")], path)
    fuzzer = os.path.join(ROOT, ".build-fuzz", "release", "sluice-fuzz")
    if not os.path.exists(fuzzer):
        print("no fuzz build (run scripts/fuzz.sh once): ONNX node seeds left out")
        return
    with tempfile.TemporaryDirectory() as tmp:
        candidates, merged = os.path.join(tmp, "candidates"), os.path.join(tmp, "merged")
        os.makedirs(candidates)
        shutil.copytree(os.path.join(CORPUS, "onnx"), merged)
        names = {}
        for path in glob.glob("/usr/share/libonnx-testdata/data/node/*/model.onnx"):
            if os.path.getsize(path) <= 2048:
                name = os.path.basename(os.path.dirname(path))
                shutil.copy(path, os.path.join(candidates, name))
                with open(path, "rb") as f:
                    names[hashlib.sha1(f.read()).hexdigest()] = name
        env = {**os.environ, "SLUICE_FUZZ_TARGET": "onnx", "SWIFT_BACKTRACE": "enable=no", "ASAN_OPTIONS": "detect_leaks=0"}
        subprocess.run([fuzzer, "-merge=1", "-rss_limit_mb=2048", "-timeout=10", "-max_len=32768", merged, candidates],
                       env=env, check=True, capture_output=True)
        for added in os.listdir(merged):
            if added in names:
                copy("onnx", names[added], os.path.join(merged, added))


if __name__ == "__main__":
    http1(); v2(); grpc_infer(); v1(); yaml(); trees(); onnx()
