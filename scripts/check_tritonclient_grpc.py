#!/usr/bin/env python3
"""Drives a real `sluice serve` with tritonclient.grpc, unmodified, and checks every answer
against REST's for the same model and input (the same server's REST port).

usage: .venv-grpc/bin/python scripts/check_tritonclient_grpc.py PATH/TO/sluice
Starts the server on free loopback ports (h2c on the main port, TLS with ALPN h2 beside it) with
the bundled models/, an admin token and the fraud-ab route of config/routes.yaml; covers every
method tritonclient.grpc calls, inputs as raw_input_contents and as typed contents, gzip both
ways, routing by metadata header (and its request counter), grpc.health.v1 and TLS; prints
'N passed, N failed'.
"""
import gzip
import sys

import grpc
import numpy as np
import tritonclient.grpc as grpcclient
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tritonclient.grpc import model_config_pb2, service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException, triton_to_np_dtype

from grpc_harness import SERVICE, TOKEN, Checks, Server, grpc_frame, grpc_messages, raw_grpc

ROUTES = """routes:
  - name: fraud-ab
    model: fraud
    split:
      - {label: stable, weight: 90}
      - {label: canary, weight: 10}
    sticky: {header: x-user-id}
    rules:
      - {match: {header: {x-canary: always}}, label: canary}
"""
AUTH = {"authorization": f"Bearer {TOKEN}"}
REST_AUTH = {"Authorization": f"Bearer {TOKEN}"}
# The typed field of InferTensorContents each datatype travels in.
CONTENTS = {"BOOL": "bool_contents", "INT8": "int_contents", "INT16": "int_contents", "INT32": "int_contents",
            "INT64": "int64_contents", "UINT8": "uint_contents", "UINT16": "uint_contents",
            "UINT32": "uint_contents", "UINT64": "uint64_contents", "FP32": "fp32_contents",
            "FP64": "fp64_contents", "BYTES": "bytes_contents"}

c = Checks("tritonclient.grpc")
rng = np.random.default_rng(11)


def sample_inputs(meta, rows):
    """Random inputs of the model's metadata, `rows` rows where the batch dimension is -1."""
    inputs = []
    for t in meta["inputs"]:
        shape = [rows if d == -1 else d for d in t["shape"]]
        dtype = triton_to_np_dtype(t["datatype"])
        if np.issubdtype(dtype, np.floating):
            a = rng.normal(size=shape).astype(dtype)
        else:
            a = rng.integers(0, 4, size=shape).astype(dtype)
        inputs.append((t["name"], t["datatype"], a))
    return inputs


def triton_inputs(inputs):
    made = []
    for name, datatype, a in inputs:
        i = grpcclient.InferInput(name, list(a.shape), datatype)
        i.set_data_from_numpy(a)
        made.append(i)
    return made


def same_as_rest(name, response, rest, request_id="", called=None):
    """A ModelInferResponse against rest_infer's answer: model, version, id, and each output's
    datatype, shape and values, bit for bit (NaN equal to NaN). Through a route, gRPC names the
    model `called` (the route, as Triton names the model called) where REST names the model."""
    status, answer, _, tensors = rest
    if not c.check(f"{name}: REST answered 200", status == 200, answer):
        return
    result = grpcclient.InferResult(response)
    model = called or answer["model_name"]
    c.check(f"{name}: model and version as REST",
            (response.model_name, response.model_version) == (model, answer["model_version"]),
            f"{response.model_name}/{response.model_version} vs {model}/{answer['model_version']}")
    c.check(f"{name}: id", response.id == request_id, response.id)
    names = [o.name for o in response.outputs]
    c.check(f"{name}: outputs as REST", sorted(names) == sorted(tensors), f"{names} vs {sorted(tensors)}")
    for o in response.outputs:
        if o.name not in tensors:
            continue
        datatype, shape, expected = tensors[o.name]
        got = result.as_numpy(o.name)
        c.check(f"{name}: {o.name} datatype and shape", (o.datatype, list(o.shape)) == (datatype, shape),
                f"{o.datatype} {list(o.shape)} vs {datatype} {shape}")
        floating = np.issubdtype(expected.dtype, np.floating)
        c.check(f"{name}: {o.name} values equal REST's", got is not None and got.dtype == expected.dtype
                and np.array_equal(got, expected, equal_nan=floating), f"{got} vs {expected}")


def contents_request(model, inputs, version=""):
    """A ModelInferRequest with every input in its typed `contents` field instead of raw bytes."""
    request = service_pb2.ModelInferRequest(model_name=model, model_version=version, id="contents-1")
    for name, datatype, a in inputs:
        t = request.inputs.add(name=name, datatype=datatype, shape=list(a.shape))
        getattr(t.contents, CONTENTS[datatype]).extend(a.flatten().tolist())
    return request


def metadata_and_readiness(client):
    c.check("is_server_live", client.is_server_live())
    c.check("is_server_ready", client.is_server_ready())
    meta = client.get_server_metadata()
    _, rest = server.rest_json("GET", "/v2")
    c.check("server metadata as REST", (meta.name, meta.version, list(meta.extensions))
            == (rest["name"], rest["version"], rest["extensions"]), f"{meta} vs {rest}")
    models = {}
    _, index = server.rest_json("POST", "/v2/repository/index", {}, REST_AUTH)
    for name in sorted({row["name"] for row in index}):
        _, rest = server.rest_json("GET", f"/v2/models/{name}")
        models[name] = rest
        for version in [""] + rest["versions"]:
            label = f"{name}/{version or 'latest'}"
            meta = client.get_model_metadata(name, version)
            if version:
                _, rest = server.rest_json("GET", f"/v2/models/{name}/versions/{version}")
            seen = (meta.name, list(meta.versions), meta.platform,
                    [(t.name, t.datatype, list(t.shape)) for t in meta.inputs],
                    [(t.name, t.datatype, list(t.shape)) for t in meta.outputs])
            want = (rest["name"], rest["versions"], rest["platform"],
                    [(t["name"], t["datatype"], t["shape"]) for t in rest["inputs"]],
                    [(t["name"], t["datatype"], t["shape"]) for t in rest["outputs"]])
            c.check(f"model metadata {label} as REST", seen == want, f"{seen} vs {want}")
            path = f"/v2/models/{name}" + (f"/versions/{version}" if version else "") + "/ready"
            c.check(f"is_model_ready {label} as REST",
                    client.is_model_ready(name, version) == (server.rest("GET", path)[0] == 200))
    c.check("every bundled model listed", {"fraud", "iris", "churn-lgbm", "digits-mlp"} <= set(models), sorted(models))
    try:
        c.check("an unknown version is not ready", not client.is_model_ready("fraud", "99"))
    except InferenceServerException as e:
        c.check("an unknown version is not ready, or NOT_FOUND", e.status() == str(grpc.StatusCode.NOT_FOUND), e)
    return models


def inference(client, stub, models):
    for name, meta in models.items():
        inputs = sample_inputs(meta, 5)
        if name == "fraud":
            inputs[0][2][0, 3] = np.nan   # a missing feature, as tree models take it
        r = client.infer(name, triton_inputs(inputs), request_id="grpc-1")
        same_as_rest(f"{name} raw_input_contents", r.get_response(), server.rest_infer(name, inputs), "grpc-1")
        c.check(f"{name}: answered in raw_output_contents",
                len(r.get_response().raw_output_contents) == len(r.get_response().outputs))
        for version in meta["versions"]:
            r = client.infer(name, triton_inputs(inputs), model_version=version)
            same_as_rest(f"{name} version {version}", r.get_response(), server.rest_infer(name, inputs, version))
            response = stub.ModelInfer(contents_request(name, inputs, version))
            same_as_rest(f"{name} version {version} contents", response, server.rest_infer(name, inputs, version),
                         "contents-1")
        response = stub.ModelInfer(contents_request(name, inputs))
        same_as_rest(f"{name} contents", response, server.rest_infer(name, inputs), "contents-1")
        for output in meta["outputs"]:
            o = output["name"]
            r = client.infer(name, triton_inputs(inputs), outputs=[grpcclient.InferRequestedOutput(o)])
            same_as_rest(f"{name} requested output {o}", r.get_response(), server.rest_infer(name, inputs, outputs=[o]))
        r = client.infer(name, triton_inputs(inputs), compression_algorithm="gzip")
        same_as_rest(f"{name} gzip request", r.get_response(), server.rest_infer(name, inputs))
    # A numeric datatype other than the model's converts, as over REST.
    wide = [(n, "FP64", a.astype(np.float64)) for n, _, a in sample_inputs(models["fraud"], 3)]
    same_as_rest("fraud FP64 input", client.infer("fraud", triton_inputs(wide)).get_response(), server.rest_infer("fraud", wide))


def model_config(client, models):
    for name, meta in models.items():
        config = client.get_model_config(name).config
        c.check(f"{name} config names its model", config.name == name, config.name)
        for kind, declared, tensors in (("input", config.input, meta["inputs"]), ("output", config.output, meta["outputs"])):
            seen = [(t.name, model_config_pb2.DataType.Name(t.data_type), list(t.dims)) for t in declared]
            # Triton's convention: with max_batch_size > 0 the batch dimension is left out of dims.
            want = [(t["name"], "TYPE_" + t["datatype"],
                     t["shape"][1:] if config.max_batch_size > 0 else t["shape"]) for t in tensors]
            c.check(f"{name} config {kind}s as metadata", seen == want, f"{seen} vs {want}")
    c.check("fraud config max_batch_size from model.yaml", client.get_model_config("fraud").config.max_batch_size == 256)


def statistics(client, models):
    def pairs(stats):
        return {(s.name, s.version): (s.inference_count, s.execution_count, s.inference_stats.success.count,
                                      s.inference_stats.fail.count) for s in stats.model_stats}

    def rest_pairs(doc):
        return {(s["name"], s["version"]): (s["inference_count"], s["execution_count"],
                                            s["inference_stats"]["success"]["count"],
                                            s["inference_stats"]["fail"]["count"]) for s in doc["model_stats"]}

    before = client.get_inference_statistics("fraud")
    c.check("fraud statistics as REST", pairs(before) == rest_pairs(server.rest_json("GET", "/v2/models/fraud/stats")[1]))
    one = client.get_inference_statistics("fraud", "2")
    c.check("fraud version 2 statistics as REST",
            pairs(one) == rest_pairs(server.rest_json("GET", "/v2/models/fraud/versions/2/stats")[1]))
    inputs = sample_inputs(models["fraud"], 4)
    for _ in range(3):
        client.infer("fraud", triton_inputs(inputs), model_version="2")
    after = pairs(client.get_inference_statistics("fraud", "2"))[("fraud", "2")]
    was = pairs(one)[("fraud", "2")]
    c.check("three infers count three successes and twelve inferences",
            after[2] - was[2] == 3 and after[0] - was[0] == 12 and after[3] == was[3], f"{was} -> {after}")
    everything = pairs(client.get_inference_statistics())
    c.check("statistics of every model as REST", everything == rest_pairs(server.rest_json("GET", "/v2/models/stats")[1]))


def repository(client, models):
    index = client.get_model_repository_index(headers=AUTH)
    rows = lambda: sorted((m.name, m.version, m.state, m.reason) for m in client.get_model_repository_index(headers=AUTH).models)
    rest_rows = lambda: sorted((m["name"], m.get("version", ""), m["state"], m["reason"])
                               for m in server.rest_json("POST", "/v2/repository/index", {}, REST_AUTH)[1])
    c.check("repository index as REST", rows() == rest_rows(), f"{index}")
    c.status("index without the token", lambda: client.get_model_repository_index(), grpc.StatusCode.UNAUTHENTICATED)
    # Missing is UNAUTHENTICATED, wrong is PERMISSION_DENIED (REST answers 401 to both).
    c.status("index with a wrong token", lambda: client.get_model_repository_index(headers={"authorization": "Bearer nope"}),
             grpc.StatusCode.PERMISSION_DENIED)
    c.status("unload without the token", lambda: client.unload_model("iris"), grpc.StatusCode.UNAUTHENTICATED)
    c.status("load with a wrong token", lambda: client.load_model("iris", headers={"authorization": "Bearer nope"}),
             grpc.StatusCode.PERMISSION_DENIED)
    c.check("iris still ready after refused calls", client.is_model_ready("iris"))
    client.unload_model("iris", headers=AUTH)
    c.check("unloaded iris is not ready, as over REST",
            not client.is_model_ready("iris") and server.rest("GET", "/v2/models/iris/ready")[0] != 200)
    inputs = triton_inputs(sample_inputs(models["iris"], 1))
    c.status("infer on unloaded iris", lambda: client.infer("iris", inputs), grpc.StatusCode.UNAVAILABLE)
    c.check("index after unload as REST", rows() == rest_rows(), rows())
    client.load_model("iris", headers=AUTH)
    c.check("loaded iris is ready again", client.is_model_ready("iris") and server.rest("GET", "/v2/models/iris/ready")[0] == 200)
    c.check("loaded iris infers", client.infer("iris", inputs).as_numpy(models["iris"]["outputs"][0]["name"]) is not None)
    c.status("load of an unknown model", lambda: client.load_model("no-such-model", headers=AUTH), grpc.StatusCode.NOT_FOUND)


def health(channel):
    stub = health_pb2_grpc.HealthStub(channel)
    serving = health_pb2.HealthCheckResponse.SERVING
    c.check("Health/Check of the server", stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=10).status == serving)
    c.check("Health/Check of the inference service", stub.Check(
        health_pb2.HealthCheckRequest(service="inference.GRPCInferenceService"), timeout=10).status == serving)
    c.status("Health/Check of an unknown service",
             lambda: stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=10),
             grpc.StatusCode.NOT_FOUND)
    for service, want in (("", serving), ("no.such.Service", health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)):
        watch = stub.Watch(health_pb2.HealthCheckRequest(service=service), timeout=10)
        try:
            first = next(watch).status
            c.check(f"Health/Watch {service or 'of the server'}: first message", first == want, first)
        finally:
            watch.cancel()


def compression(models):
    """gzip both ways: grpcio compressing every request, and the raw bytes of an answer that
    the client accepts gzip for (large enough to be worth it)."""
    inputs = sample_inputs(models["fraud"], 256)
    request = contents_request("fraud", inputs)
    with grpc.insecure_channel(server.target, compression=grpc.Compression.Gzip) as channel:
        response = service_pb2_grpc.GRPCInferenceServiceStub(channel).ModelInfer(request, timeout=30)
        same_as_rest("gzip channel", response, server.rest_infer("fraud", inputs), "contents-1")
    body = request.SerializeToString()
    plain = raw_grpc(server.port, SERVICE + "ModelInfer", grpc_frame(body))
    packed = raw_grpc(server.port, SERVICE + "ModelInfer", grpc_frame(gzip.compress(body), flag=1),
                      ["grpc-encoding: gzip", "grpc-accept-encoding: gzip"])
    c.check("raw gzip request answered OK", plain.grpc_status == 0 and packed.grpc_status == 0, f"{plain} / {packed}")
    c.check("answer says grpc-encoding: gzip", packed.headers.get("grpc-encoding") == "gzip", packed)
    try:
        (flag, message), = grpc_messages(packed.data)
        (_, expected), = grpc_messages(plain.data)
        c.check("answer message compressed, and equal to the plain answer once inflated",
                flag == 1 and gzip.decompress(message) == expected, f"flag {flag}")
    except ValueError as e:
        c.check("answer frames whole", False, e)


def routing(client, models):
    inputs = sample_inputs(models["fraud"], 1)
    r = client.infer("fraud-ab", triton_inputs(inputs), headers={"x-canary": "always"})
    same_as_rest("route rule by metadata header", r.get_response(),
                 server.rest_infer("fraud-ab", inputs, headers={"x-canary": "always"}), called="fraud-ab")
    c.check("route rule picked the canary", r.get_response().model_version == "2")
    # A client that cannot set metadata names the header in the request's parameters.
    r = client.infer("fraud-ab", triton_inputs(inputs), parameters={"x-canary": "always"})
    c.check("route rule by request parameter picked the canary", r.get_response().model_version == "2")
    versions = set()
    for user in range(24):
        h = {"x-user-id": f"user-{user}"}
        r = client.infer("fraud-ab", triton_inputs(inputs), headers=h)
        rest = server.rest_infer("fraud-ab", inputs, headers=h)
        same_as_rest(f"sticky user-{user}", r.get_response(), rest, called="fraud-ab")
        versions.add(r.get_response().model_version)
    c.check("sticky keys reached the stable version", "1" in versions, versions)
    # Each call above but the one by parameter went once over gRPC and once over REST: the
    # route's request counter saw both alike, the gRPC ones labelled protocol="grpc".
    counts = {"grpc": 0, "rest": 0}
    for line in server.rest("GET", "/metrics")[2].decode().splitlines():
        if line.startswith('sluice_requests_total{route="fraud-ab",'):
            counts["grpc" if 'protocol="grpc"' in line else "rest"] += int(float(line.rsplit(" ", 1)[1]))
    c.check("route metrics count gRPC calls as REST's, protocol=\"grpc\"", counts == {"grpc": 26, "rest": 25}, counts)


def tls(models):
    inputs = sample_inputs(models["fraud"], 2)
    secure = grpcclient.InferenceServerClient(f"127.0.0.1:{server.tls_port}", ssl=True, root_certificates=server.cert)
    c.check("TLS: is_server_live", secure.is_server_live())
    same_as_rest("TLS infer", secure.infer("fraud", triton_inputs(inputs)).get_response(), server.rest_infer("fraud", inputs))
    secure.close()
    raw = raw_grpc(server.tls_port, SERVICE + "ServerLive", grpc_frame(b""), tls_cert=server.cert)
    c.check("TLS: curl over ALPN h2 gets grpc-status 0", raw.grpc_status == 0 and raw.http_status == "200", raw)


binary = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/sluice"
server = Server(binary, tls=True, routes=ROUTES)
try:
    client = grpcclient.InferenceServerClient(server.target)
    models = c.section("metadata and readiness", metadata_and_readiness, client)
    if models:
        with grpc.insecure_channel(server.target) as channel:
            c.section("inference", inference, client, service_pb2_grpc.GRPCInferenceServiceStub(channel), models)
            c.section("health", health, channel)
        c.section("model config", model_config, client, models)
        c.section("statistics", statistics, client, models)
        c.section("repository", repository, client, models)
        c.section("compression", compression, models)
        c.section("routing", routing, client, models)
        c.section("TLS", tls, models)
    client.close()
finally:
    c.check("server exits 0 on SIGTERM", server.stop() == 0)
c.finish()
