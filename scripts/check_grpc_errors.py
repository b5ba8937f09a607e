#!/usr/bin/env python3
"""Every gRPC error a client can cause, against a real `sluice serve`: the exact status code and
a non-empty grpc-message, through grpcio with raw bytes where a typed client would refuse, and
through curl's raw HTTP/2 for what grpcio never sends (a torn frame, a bad compression flag, a
server-side deadline). The server keeps serving throughout and exits 0.

usage: .venv-grpc/bin/python scripts/check_grpc_errors.py PATH/TO/sluice
The server under test serves a temporary repository (fraud version 2, a corrupt version 3 and a
model whose only version is corrupt) with max_body_bytes of 16 KiB and an admin token; a second
one, without a token and with a queue of one, answers the repository API PERMISSION_DENIED and a
burst of calls RESOURCE_EXHAUSTED. Prints 'N passed, N failed'.
"""
import gzip
import os
import shutil
import struct
import sys
import tempfile
import time

import grpc
import numpy as np
from tritonclient.grpc import service_pb2

from grpc_harness import SERVICE, TOKEN, Checks, Server, grpc_frame, raw_grpc

Code = grpc.StatusCode
c = Checks("gRPC errors")
ROW = np.linspace(-1, 1, 20, dtype=np.float32).reshape(1, 20)


def infer_request(model="fraud", version="", name="input", datatype="FP32", shape=(1, 20), raw=(ROW.tobytes(),),
                  contents=None, outputs=()):
    r = service_pb2.ModelInferRequest(model_name=model, model_version=version)
    t = r.inputs.add(name=name, datatype=datatype, shape=list(shape))
    if contents is not None:
        t.contents.fp32_contents.extend(contents)
    r.raw_input_contents.extend(raw)
    for o in outputs:
        r.outputs.add(name=o)
    return r.SerializeToString()


def repository():
    """fraud version 2 as bundled, a version 3 that does not parse, and `broken` with nothing
    else: what UNAVAILABLE is answered for."""
    root = tempfile.mkdtemp(prefix="sluice-grpc-errors-")
    os.makedirs(f"{root}/fraud/3")
    shutil.copytree("models/fraud/2", f"{root}/fraud/2")
    with open(f"{root}/fraud/model.yaml", "w") as f:
        f.write("backend: xgboost\ninputs:\n  - {name: input, datatype: FP32, shape: [-1, 20]}\n"
                "version_policy: {all: true}\n")
    os.makedirs(f"{root}/broken/1")
    for path in (f"{root}/fraud/3/model.json", f"{root}/broken/1/model.json"):
        with open(path, "w") as f:
            f.write('{"learner": {"truncated')
    return root


def call(channel, method):
    """A unary method taking and answering bytes, so any bytes can be sent."""
    return channel.unary_unary(SERVICE + method if not method.startswith("/") else method,
                               request_serializer=None, response_deserializer=None)


def typed_errors(channel):
    infer = call(channel, "ModelInfer")
    c.status("unknown model", lambda: infer(infer_request(model="no-such-model"), timeout=10), Code.NOT_FOUND)
    c.status("unknown version", lambda: infer(infer_request(version="9"), timeout=10), Code.NOT_FOUND)
    # grpc-message is percent-encoded on the wire; the client reads back the exact text.
    name = "no-such-modèle 100%"
    e = c.status("unknown model with a non-ASCII name", lambda: infer(infer_request(model=name), timeout=10), Code.NOT_FOUND)
    c.check("grpc-message carries the name unchanged", e is not None and name in e.details(), e and e.details())
    c.status("metadata of an unknown model", lambda: call(channel, "ModelMetadata")(
        service_pb2.ModelMetadataRequest(name="no-such-model").SerializeToString(), timeout=10), Code.NOT_FOUND)
    c.status("metadata of an unknown version", lambda: call(channel, "ModelMetadata")(
        service_pb2.ModelMetadataRequest(name="fraud", version="9").SerializeToString(), timeout=10), Code.NOT_FOUND)
    c.status("config of an unknown model", lambda: call(channel, "ModelConfig")(
        service_pb2.ModelConfigRequest(name="no-such-model").SerializeToString(), timeout=10), Code.NOT_FOUND)
    c.status("statistics of an unknown model", lambda: call(channel, "ModelStatistics")(
        service_pb2.ModelStatisticsRequest(name="no-such-model").SerializeToString(), timeout=10), Code.NOT_FOUND)

    bad = {
        "wrong input name": infer_request(name="nope"),
        # Numeric datatypes convert, as over REST (FP64 into an FP32 model); strings do not.
        "wrong datatype": infer_request(datatype="BYTES", raw=(b"".join(struct.pack("<I", 1) + b"a" for _ in range(20)),)),
        "an unknown datatype": infer_request(datatype="FP99"),
        "wrong shape": infer_request(shape=(1, 19), raw=(ROW[:, :19].tobytes(),)),
        "a negative dimension": infer_request(shape=(-1, 20)),
        "a shape whose size overflows": infer_request(shape=(1 << 40, 1 << 40)),
        "raw_input_contents one byte short": infer_request(raw=(ROW.tobytes()[:-1],)),
        "raw_input_contents one byte long": infer_request(raw=(ROW.tobytes() + b"\0",)),
        "more raw_input_contents than inputs": infer_request(raw=(ROW.tobytes(), ROW.tobytes())),
        "contents with a value missing": infer_request(raw=(), contents=ROW.flatten().tolist()[:-1]),
        "contents and raw_input_contents both": infer_request(contents=ROW.flatten().tolist()),
        "an unknown requested output": infer_request(outputs=("nope",)),
        "a message that is not protobuf": b"\x0a\xff\xff\xff\x0f",   # a name longer than the message
        "a model name that is not UTF-8": b"\x0a\x02\xc3\x28",
    }
    for name, body in bad.items():
        c.status(name, lambda: infer(body, timeout=10), Code.INVALID_ARGUMENT)

    for method in (SERVICE + "NoSuchMethod", "/no.such.Service/Method"):
        c.status(f"unknown method {method}", lambda: call(channel, method)(b"", timeout=10), Code.UNIMPLEMENTED)

    big = np.ones((256, 20), dtype=np.float32)
    c.status("a message over max_body_bytes",
             lambda: infer(infer_request(shape=big.shape, raw=(big.tobytes(),)), timeout=10), Code.RESOURCE_EXHAUSTED)

    c.status("a version that failed to load", lambda: infer(infer_request(version="3"), timeout=10), Code.UNAVAILABLE)
    c.status("a model with no ready version", lambda: infer(infer_request(model="broken"), timeout=10), Code.UNAVAILABLE)
    ready = service_pb2.ModelReadyResponse.FromString(call(channel, "ModelReady")(
        service_pb2.ModelReadyRequest(name="fraud", version="3").SerializeToString(), timeout=10))
    c.check("a version that failed to load is not ready", not ready.ready)
    ready = service_pb2.ServerReadyResponse.FromString(call(channel, "ServerReady")(b"", timeout=10))
    c.check("a server with a model that cannot serve is not ready, as over REST", not ready.ready)

    index = call(channel, "RepositoryIndex")
    empty = service_pb2.RepositoryIndexRequest().SerializeToString()
    c.status("repository index without a token", lambda: index(empty, timeout=10), Code.UNAUTHENTICATED)
    # A bearer token that is wrong is PERMISSION_DENIED (REST: 401 to both); no bearer token at
    # all, as with another scheme, is UNAUTHENTICATED.
    c.status("repository index with a wrong token",
             lambda: index(empty, timeout=10, metadata=[("authorization", "Bearer nope")]), Code.PERMISSION_DENIED)
    c.status("unload with the token under another scheme", lambda: call(channel, "RepositoryModelUnload")(
        service_pb2.RepositoryModelUnloadRequest(model_name="fraud").SerializeToString(), timeout=10,
        metadata=[("authorization", f"Basic {TOKEN}")]), Code.UNAUTHENTICATED)
    # A deadline is checked raw (grpc-timeout: 1n) in raw_errors: grpcio's own timer races a
    # loopback answer, so a tiny timeout= proves nothing about the server.


def raw_errors(port):
    body = infer_request()
    cases = [
        ("a deadline already passed (grpc-timeout: 1n)", grpc_frame(body), ["grpc-timeout: 1n"], Code.DEADLINE_EXCEEDED),
        ("a truncated message prefix", grpc_frame(body)[:3], [], Code.INTERNAL),
        ("a message shorter than its prefix says", grpc_frame(body)[:-4], [], Code.INTERNAL),
        ("no message at all", b"", [], Code.INTERNAL),
        ("two messages in a unary call", grpc_frame(body) * 2, [], Code.INTERNAL),
        ("compression flag 2", grpc_frame(body, flag=2), [], Code.INTERNAL),
        ("compression flag 1 without grpc-encoding", grpc_frame(body, flag=1), [], Code.INTERNAL),
        ("compression flag 1 with gzip that is not gzip", grpc_frame(body, flag=1), ["grpc-encoding: gzip"], Code.INTERNAL),
        ("an encoding the server does not have", grpc_frame(body, flag=1), ["grpc-encoding: snappy"], Code.UNIMPLEMENTED),
        ("a gzip bomb past max_body_bytes", grpc_frame(gzip.compress(bytes(1 << 20)), flag=1), ["grpc-encoding: gzip"],
         Code.RESOURCE_EXHAUSTED),
    ]
    for name, data, headers, code in cases:
        a = raw_grpc(port, SERVICE + "ModelInfer", data, headers)
        c.check(f"raw: {name}", a.http_status == "200" and a.grpc_status == code.value[0] and a.grpc_message != ""
                and a.headers.get("content-type", "").startswith("application/grpc"), a)
    ok = raw_grpc(port, SERVICE + "ModelInfer", grpc_frame(body), ["grpc-timeout: 10S"])
    c.check("raw: the same call with time to spare answers OK", ok.grpc_status == 0 and len(ok.data) > 5, ok)


def queue_full(channel, rows=200):
    """Bursts of 64 calls at once on one worker with a queue of one: those the queue cannot
    take are RESOURCE_EXHAUSTED (REST: 503), the others answer. Up to 5 bursts, until one
    call was refused."""
    big = np.ones((rows, 20), dtype=np.float32)
    body = infer_request(shape=big.shape, raw=(big.tobytes(),))
    infer = call(channel, "ModelInfer")
    outcomes = {}
    for _ in range(5):
        for f in [infer.future(body, timeout=30) for _ in range(64)]:
            try:
                f.result()
                key = "OK"
            except grpc.RpcError as e:
                key = (e.code(), bool(e.details()))
            outcomes[key] = outcomes.get(key, 0) + 1
        if len(outcomes) > 1:
            break
    c.check(f"a full queue ({len(body)} bytes a call): RESOURCE_EXHAUSTED with a message, the rest answered",
            set(outcomes) == {"OK", (Code.RESOURCE_EXHAUSTED, True)}, outcomes)


def wait_until_unavailable(server):
    """The corrupt version fails off the event loops; wait until REST reports it."""
    deadline = time.monotonic() + 30
    while server.rest("GET", "/v2/models/fraud/versions/3/ready")[0] != 503 and time.monotonic() < deadline:
        time.sleep(0.05)


binary = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/sluice"
repo = repository()
# The server is not ready while `broken` has no version that loaded (strict readiness, as REST).
server = Server(binary, models=repo, config=["limits: {max_body_bytes: 16KiB}"], ready="/v2/models/fraud/versions/2/ready")
try:
    wait_until_unavailable(server)
    with grpc.insecure_channel(server.target) as channel:
        c.section("errors through grpcio", typed_errors, channel)
        c.section("errors through raw HTTP/2", raw_errors, server.port)
        c.section("still live after every error", lambda: c.check("still live after every error",
                  service_pb2.ServerLiveResponse.FromString(call(channel, "ServerLive")(b"", timeout=10)).live))
finally:
    c.check("server exits 0 on SIGTERM", server.stop() == 0)

# Without a token; and with one worker, a queue of one and every request sent to the pool, so
# a burst of calls fills the queue.
closed = Server(binary, models=repo, token=False, ready="/v2/models/fraud/versions/2/ready",
                config=["scheduling: {inline_budget_us: 0, workers: 1, max_queue: 1}"])
try:
    with grpc.insecure_channel(closed.target) as channel:
        c.status("repository index on a server without a token", lambda: call(channel, "RepositoryIndex")(
            service_pb2.RepositoryIndexRequest().SerializeToString(), timeout=10), Code.PERMISSION_DENIED)
        c.status("load on a server without a token", lambda: call(channel, "RepositoryModelLoad")(
            service_pb2.RepositoryModelLoadRequest(model_name="fraud").SerializeToString(), timeout=10,
            metadata=[("authorization", f"Bearer {TOKEN}")]), Code.PERMISSION_DENIED)
        c.section("a full queue", queue_full, channel)
        c.section("a full queue, calls handled off the loop", queue_full, channel, 1024)
finally:
    c.check("server without a token exits 0", closed.stop() == 0)
    shutil.rmtree(repo, ignore_errors=True)
c.finish()
