#!/usr/bin/env bash
# Issue #19, goal 3: the big-batch data path. Sends 1,000 x 16 FP32 requests to the MLP fixture
# (Tests/SluiceBackendsTests/Fixtures/onnx/mlp, 16-32-32-10) over V2 JSON and over the binary
# tensor extension (binary answer too), one keep-alive connection on loopback, and prints the
# server-side time outside compute per request, the compute time, and JSON MB/s; then the
# in-process codec timings of `sluice-micro codecs` (decode 1,000 x 16, encode 1,000 x 10,
# float printing, MB/s).
#   bench/big-batch.sh            (REQUESTS=300 per wire format; release binaries built first:
#                                  swift build -c release --product sluice, and sluice-micro;
#                                  BIN= and MICRO= name other builds)
#
# The measurement. The server's access log (`access_log: true`) gives, per request, duration_ms:
# from the moment the request was complete (its last body byte read: RequestContext.started) to
# the moment its answer is handed to the connection to be written (Exchange.close: encoded,
# compressed when asked — not yet in the socket), and compute_ms: the backend's run alone (the
# same number the statistics extension sums as compute_infer). Outside compute = duration -
# compute: body decoding, the hop to a worker for a large body (queue_ms, included), checks,
# answer encoding. Client and network time are not in it, so the load on this shared machine
# moves it only as much as it slows the server's own work. Medians over the requests after 30
# warm-up requests, with the 90th percentile.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${REQUESTS:-300}
bin=${BIN:-.build/release/sluice}
micro=${MICRO:-.build/release/sluice-micro}
work=$(mktemp -d); trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/models/mlp/1"
cp Tests/SluiceBackendsTests/Fixtures/onnx/mlp/model.onnx "$work/models/mlp/1/model.onnx"
port=${PORT:-18231}
SLUICE_ACCESS_LOG=true "$bin" serve --host 127.0.0.1 --port "$port" --models "$work/models" --threads 1 \
  >"$work/log" 2>&1 & pid=$!
for _ in $(seq 1 600); do curl -fs -o /dev/null "http://127.0.0.1:$port/v2/models/mlp/ready" && break; sleep 0.1; done
curl -fs -o /dev/null "http://127.0.0.1:$port/v2/models/mlp/ready" || { echo "the server did not become ready:" >&2; cat "$work/log" >&2; exit 1; }

python3 - "$port" "$n" "$work/log" <<'PY'
import http.client, json, random, struct, sys, time
port, n, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(19)
# Values as clients write them: FP32 values' shortest text (repr of the float32 rounded value).
values = [struct.unpack("<f", struct.pack("<f", rng.uniform(-3, 3)))[0] for _ in range(16000)]
def shortest(v):
    for digits in range(1, 10):
        t = "%.*g" % (digits, v)
        if struct.pack("<f", float(t)) == struct.pack("<f", v):
            return t
    return repr(v)
json_body = ('{"inputs":[{"name":"input","datatype":"FP32","shape":[1000,16],"data":[%s]}]}'
             % ",".join(shortest(v) for v in values)).encode()
header = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1000, 16],
                                 "parameters": {"binary_data_size": 64000}}],
                     "parameters": {"binary_data_output": True}}, separators=(",", ":")).encode()
binary_body = header + struct.pack("<16000f", *values)
kinds = {
    "json": (json_body, {"Content-Type": "application/json"}),
    "binary": (binary_body, {"Content-Type": "application/octet-stream",
                             "Inference-Header-Content-Length": str(len(header))}),
}
answer_bytes = {}
conn = http.client.HTTPConnection("127.0.0.1", port)
for kind, (body, headers) in kinds.items():
    for i in range(n + 30):
        conn.request("POST", "/v2/models/mlp/infer", body=body, headers=dict(headers, **{"x-request-id": f"{kind}-{i}"}))
        r = conn.getresponse()
        data = r.read()
        assert r.status == 200, data[:300]
        answer_bytes[kind] = len(data)
time.sleep(0.5)  # the log line of the last answer is written as it is sent
rows = {}
for line in open(log):
    start = line.find("{")
    if start < 0 or "duration_ms" not in line:
        continue
    try:
        entry = json.loads(line[start:])
    except ValueError:
        continue
    kind, _, i = entry["request_id"].partition("-")
    if kind in kinds and int(i) >= 30:
        rows.setdefault(kind, []).append(entry)
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]
for kind, (body, _) in kinds.items():
    entries = rows.get(kind, [])
    assert len(entries) == n, f"{kind}: {len(entries)} log lines, expected {n}"
    outside = [e["duration_ms"] - e["compute_ms"] for e in entries]
    compute = [e["compute_ms"] for e in entries]
    queue = [e["queue_ms"] for e in entries]
    print(f"RESULT {kind:6} requests={n} outside_compute_ms median={pct(outside, .5):.3f} p90={pct(outside, .9):.3f} "
          f"compute_ms median={pct(compute, .5):.3f} queue_ms median={pct(queue, .5):.3f} "
          f"request_bytes={len(body)} answer_bytes={answer_bytes[kind]}")
PY
kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
"$micro" codecs
