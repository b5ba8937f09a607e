#!/usr/bin/env python3
"""Drives a real `sluice serve` with tritonclient.http, unmodified: the client users run.

usage: scripts/check_tritonclient.py PATH/TO/sluice
Starts the server on a free loopback port with the bundled models/, checks health, metadata,
JSON and binary inference against each other, then stops it. Prints 'N passed, N failed'.
"""
import os
import socket
import subprocess
import sys
import time

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/sluice"
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
server = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--models", "models",
                           "--log-level", "warning"])
passed, failed = 0, 0


def check(name, condition):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAILED: {name}", file=sys.stderr)


try:
    client = httpclient.InferenceServerClient(url=f"127.0.0.1:{port}")
    deadline = time.monotonic() + 30
    while True:
        try:
            if client.is_server_ready():
                break
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("server did not become ready within 30 s")
        time.sleep(0.05)

    check("live", client.is_server_live())
    meta = client.get_server_metadata()
    check("server metadata", meta["name"] == "sluice" and "binary_tensor_data" in meta["extensions"])
    model = client.get_model_metadata("fraud")
    check("model metadata", model["versions"] == ["1", "2"] and model["inputs"][0]["shape"] == [-1, 20])
    check("model ready", client.is_model_ready("fraud") and client.is_model_ready("fraud", "1"))

    rng = np.random.default_rng(7)
    x = rng.normal(size=(8, 20)).astype(np.float32)
    x[0, 3] = np.nan
    results = {}
    for binary_in in (False, True):
        for binary_out in (False, True):
            inp = httpclient.InferInput("input", list(x.shape), "FP32")
            inp.set_data_from_numpy(x, binary_data=binary_in)
            outs = [httpclient.InferRequestedOutput("probabilities", binary_data=binary_out),
                    httpclient.InferRequestedOutput("label", binary_data=binary_out)]
            r = client.infer("fraud", [inp], outputs=outs, request_id="tc-1")
            results[(binary_in, binary_out)] = (r.as_numpy("probabilities"), r.as_numpy("label"))
            resp = r.get_response()
            check(f"version and id {binary_in}/{binary_out}", resp["model_version"] == "2" and resp["id"] == "tc-1")
    base = results[(False, False)]
    check("probabilities shape", base[0].shape == (8, 2) and base[0].dtype == np.float32)
    check("rows sum to one", np.allclose(base[0].sum(axis=1), 1, atol=1e-6))
    check("label is argmax", (base[1] == base[0].argmax(axis=1)).all())
    for key, (p, lab) in results.items():
        check(f"binary {key} equals JSON", np.array_equal(p, base[0]) and np.array_equal(lab, base[1]))

    r1 = client.infer("fraud", [inp], model_version="1")
    check("explicit version", r1.get_response()["model_version"] == "1")
    try:
        client.infer("no-such-model", [inp])
        check("unknown model raises", False)
    except InferenceServerException as e:
        check("unknown model raises", "unknown model" in str(e))
finally:
    server.terminate()
    try:
        code = server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        code = -9
    check("server exits 0 on SIGTERM", code == 0)

print(f"tritonclient: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
