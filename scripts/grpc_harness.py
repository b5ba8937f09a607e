"""What the gRPC checks share: a real `sluice serve` on free loopback ports with a configuration
of their own, the REST calls whose answers gRPC's must equal, raw gRPC calls through curl (bytes
no well-behaved client sends, and the trailers as sent), and the pass/fail tally.

Imported by scripts/check_tritonclient_grpc.py and scripts/check_grpc_errors.py, which run in
.venv-grpc (scripts/ensure-deps.sh test makes it): tritonclient[grpc] pins a protobuf that
mlserver's does not accept, so the two cannot share one Python environment.
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import http.client

import grpc
import numpy as np
from tritonclient.utils import InferenceServerException, triton_to_np_dtype

TOKEN = "grpc-check-token"
SERVICE = "/inference.GRPCInferenceService/"


class Checks:
    """Counts checks; a failed one is printed with what was seen, and the run goes on."""

    def __init__(self, label):
        self.label, self.passed, self.failed = label, 0, 0

    def check(self, name, condition, seen=""):
        if condition:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAILED: {name}" + (f" (saw: {seen})" if seen != "" else ""), file=sys.stderr)
        return condition

    def status(self, name, call, code):
        """`call()` must raise grpc's error `code` with a message (grpcio's own error, or
        tritonclient's, which carries the code as text); answers what it raised."""
        try:
            answer = call()
        except grpc.RpcError as e:
            self.check(name, e.code() == code and bool(e.details()), f"{e.code()} {e.details()!r}")
            return e
        except InferenceServerException as e:
            self.check(name, e.status() == str(code) and bool(e.message()), f"{e.status()} {e.message()!r}")
            return e
        self.check(name, False, f"no error: {str(answer)[:200]!r}")
        return None

    def section(self, name, run, *args):
        """Runs one group of checks; an exception it raises (a call that failed where it should
        not) counts as one failure, and the next group still runs. Answers what `run` answers."""
        try:
            return run(*args)
        except Exception as e:
            self.check(f"{name} ran through", False, f"{type(e).__name__}: {str(e)[:500]}")
            return None

    def finish(self):
        print(f"{self.label}: {self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`sluice serve` on 127.0.0.1 with `config` (YAML lines, the admin token file added when
    `token`), a TLS listener with a fresh self-signed certificate when `tls`, and `routes` (YAML
    text, or none); started once `ready` (a REST path) answers 200. Its files live in a
    temporary folder removed by `stop`."""

    def __init__(self, binary, models="models", config=(), token=True, tls=False, routes=None,
                 ready="/v2/health/ready"):
        self.dir = tempfile.mkdtemp(prefix="sluice-grpc-check-")
        self.port = free_port()
        # Without a routes file of its own the server would read config/routes.yaml.
        lines = list(config) + ([] if routes is not None else ["routes: null"])
        if token:
            with open(self.path("token"), "w") as f:
                f.write(TOKEN + "\n")
            lines.append(f"admin: {{token_file: {self.path('token')}}}")
        self.tls_port, self.cert = None, None
        if tls:
            self.tls_port, self.cert = free_port(), self.path("tls.crt")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-days", "1", "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                            "-keyout", self.path("tls.key"), "-out", self.cert],
                           check=True, capture_output=True)
            lines.append(f"tls: {{port: {self.tls_port}, cert: {self.cert}, key: {self.path('tls.key')}}}")
        with open(self.path("sluice.yaml"), "w") as f:
            f.write("\n".join(lines) + "\n")
        args = [binary, "serve", "--config", self.path("sluice.yaml"), "--host", "127.0.0.1", "--port",
                str(self.port), "--models", models, "--log-level", "warning"]
        if routes is not None:
            with open(self.path("routes.yaml"), "w") as f:
                f.write(routes)
            args += ["--routes", self.path("routes.yaml")]
        self.process = subprocess.Popen(args)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.rest("GET", ready)[0] == 200:
                    break
            except OSError:
                pass
            if self.process.poll() is not None:
                raise SystemExit(f"sluice exited with {self.process.returncode} before it was ready")
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit("sluice did not become ready within 60 s")
            time.sleep(0.05)

    def path(self, name):
        return os.path.join(self.dir, name)

    @property
    def target(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        """SIGTERM, then the exit code (-9 if it had to be killed)."""
        self.process.terminate()
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = -9
        shutil.rmtree(self.dir, ignore_errors=True)
        return code

    def rest(self, method, path, body=None, headers=None):
        """One REST request over HTTP/1.1: (status, lowercased headers, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def rest_json(self, method, path, body=None, headers=None):
        status, _, data = self.rest(method, path, None if body is None else json.dumps(body).encode(), headers)
        return status, json.loads(data) if data else None

    def rest_infer(self, model, inputs, version="", outputs=None, headers=None):
        """V2 infer with the binary tensor extension both ways, so values arrive bit for bit:
        `inputs` is [(name, datatype, numpy array)]; answers (status, JSON header, headers,
        {output name: (datatype, shape, array)})."""
        doc = {"inputs": [{"name": n, "datatype": dt, "shape": list(a.shape),
                           "parameters": {"binary_data_size": a.nbytes}} for n, dt, a in inputs],
               "parameters": {"binary_data_output": True}}
        if outputs is not None:
            doc["outputs"] = [{"name": o, "parameters": {"binary_data": True}} for o in outputs]
        head = json.dumps(doc).encode()
        body = head + b"".join(np.ascontiguousarray(a).tobytes() for _, _, a in inputs)
        path = f"/v2/models/{model}" + (f"/versions/{version}" if version else "") + "/infer"
        all_headers = {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(head))}
        all_headers.update(headers or {})
        status, answer_headers, data = self.rest("POST", path, body, all_headers)
        if status != 200:
            return status, json.loads(data), answer_headers, {}
        cut = int(answer_headers.get("inference-header-content-length", len(data)))
        answer = json.loads(data[:cut])
        tensors, at = {}, cut
        for o in answer["outputs"]:
            size = o.get("parameters", {}).get("binary_data_size")
            dtype = triton_to_np_dtype(o["datatype"])
            if size is None:
                array = np.array(o["data"], dtype=dtype)
            else:
                array = np.frombuffer(data[at:at + size], dtype=dtype)
                at += size
            tensors[o["name"]] = (o["datatype"], list(o["shape"]), array.reshape(o["shape"]))
        return status, answer, answer_headers, tensors


def grpc_frame(message, flag=0):
    """gRPC's length-prefixed message: flag byte, 4-byte big-endian length, the bytes."""
    return struct.pack(">BI", flag, len(message)) + message


class RawAnswer:
    def __init__(self, headers, trailers, data, failure=""):
        self.headers, self.trailers, self.data, self.failure = headers, trailers, data, failure
        fields = {**headers, **trailers}
        self.http_status = fields.get(":status")
        self.grpc_status = int(fields["grpc-status"]) if "grpc-status" in fields else None
        self.grpc_message = urllib.parse.unquote(fields.get("grpc-message", ""))

    def __repr__(self):
        return (f"{self.failure} http {self.http_status} grpc-status {self.grpc_status} {self.grpc_message!r} "
                f"headers {self.headers} trailers {self.trailers} {len(self.data)} data bytes")


def raw_grpc(port, method, body, headers=(), tls_cert=None):
    """POSTs `body` (already framed, or deliberately not) to `method` over h2c by prior knowledge
    (over TLS with ALPN h2 when `tls_cert`) with curl, which passes any bytes and writes the
    trailers after the headers. Headers before the first blank line are the answer's; after it,
    its trailers (a trailers-only answer has everything in the first block)."""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "body"), "wb") as f:
            f.write(body)
        scheme = "https" if tls_cert else "http"
        args = ["curl", "-sS", "--max-time", "10", "-o", os.path.join(d, "data"), "-D", os.path.join(d, "head"),
                "--data-binary", "@" + os.path.join(d, "body"), "-H", "content-type: application/grpc",
                "-H", "te: trailers"]
        args += ["--cacert", tls_cert, "--http2"] if tls_cert else ["--http2-prior-knowledge"]
        for h in headers:
            args += ["-H", h]
        run = subprocess.run(args + [f"{scheme}://127.0.0.1:{port}{method}"], capture_output=True, text=True)
        failure = f"curl exited {run.returncode}: {run.stderr.strip()}" if run.returncode else ""
        text, data = "", b""
        if os.path.exists(os.path.join(d, "head")):
            with open(os.path.join(d, "head"), "rb") as f:
                text = f.read().decode("latin-1")
        if os.path.exists(os.path.join(d, "data")):
            with open(os.path.join(d, "data"), "rb") as f:
                data = f.read()
    blocks, current = [], {}
    for line in text.split("\r\n"):
        if line == "":
            if current:
                blocks.append(current)
            current = {}
        elif line.startswith("HTTP/"):
            current[":status"] = line.split()[1]
        elif ":" in line:
            name, value = line.split(":", 1)
            current[name.strip().lower()] = value.strip()
    if current:
        blocks.append(current)
    return RawAnswer(blocks[0] if blocks else {}, blocks[1] if len(blocks) > 1 else {}, data, failure)


def grpc_messages(data):
    """Splits an answer's DATA into (flag, message bytes) pairs; raises on a torn frame."""
    messages, at = [], 0
    while at < len(data):
        if len(data) - at < 5:
            raise ValueError(f"{len(data) - at} bytes left: not a message prefix")
        flag, length = struct.unpack(">BI", data[at:at + 5])
        if len(data) - at - 5 < length:
            raise ValueError(f"message of {length} bytes, {len(data) - at - 5} arrived")
        messages.append((flag, data[at + 5:at + 5 + length]))
        at += 5 + length
    return messages
