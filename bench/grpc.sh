#!/usr/bin/env bash
# The same 1-row infer of models/fraud over gRPC (h2load posting one prebuilt, 5-byte framed
# ModelInferRequest), over REST on h2c (h2load, bench/infer-1row.json) and over HTTP/1.1
# (h2load --h1, the same JSON), all against one server, interleaved gRPC, h2c, HTTP/1.1, … so
# each round's three share the machine's state; then MLServer's gRPC (its XGBoost runtime on the
# same model file, the same request body) in the same rounds when mlserver is installed. One
# client for all, so req/s and latency are measured alike: p50 and p99 come from h2load's
# per-request log. Ratios from one run are what we quote (2 noisy cores).
#   bench/grpc.sh [ROUNDS=3] [SECONDS=10] [CONNECTIONS=32]   (STREAMS=10 per h2 connection)
# Needs h2load (make bench), .venv-grpc (scripts/ensure-deps.sh bench makes it) for the request
# body, and a release build (BIN, default .build/release/sluice); MLServer as bench/mlserver.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; secs=${2:-10}; conns=${3:-32}; streams=${STREAMS:-10}
bin=${BIN:-.build/release/sluice}
py=.venv-grpc/bin/python
sport=18100
mport=18105   # MLServer: HTTP, gRPC on the next port, metrics on the one after
json=bench/infer-1row.json
[[ -x $bin ]] || { echo "build first: swift build -c release --product sluice" >&2; exit 2; }
command -v h2load >/dev/null || { echo "h2load missing: scripts/ensure-deps.sh bench" >&2; exit 2; }
[[ -x $py ]] || { echo ".venv-grpc missing: scripts/ensure-deps.sh bench" >&2; exit 2; }

dir=$(mktemp -d)
cleanup() {
  [[ -n ${spid:-} ]] && kill "$spid" 2>/dev/null || true
  if [[ -n ${mpid:-} ]]; then   # MLServer leads its own process group (workers, resource tracker)
    kill -TERM -- "-$mpid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$mpid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$mpid" 2>/dev/null || true
  fi
  rm -rf "$dir"
  return 0
}
trap cleanup EXIT

# The gRPC body: bench/infer-1row.json's values as one ModelInferRequest (raw_input_contents, as
# tritonclient.grpc sends them), framed once.
"$py" - "$json" "$dir/grpc-body" <<'PY'
import json, struct, sys
import numpy as np
from tritonclient.grpc import service_pb2
doc = json.load(open(sys.argv[1]))["inputs"][0]
request = service_pb2.ModelInferRequest(model_name="fraud")
request.inputs.add(name=doc["name"], datatype=doc["datatype"], shape=doc["shape"])
request.raw_input_contents.append(np.array(doc["data"], dtype=np.float32).tobytes())
message = request.SerializeToString()
open(sys.argv[2], "wb").write(struct.pack(">BI", 0, len(message)) + message)
PY

$bin serve --host 127.0.0.1 --port $sport --models models --log-level warning & spid=$!
for _ in $(seq 1000); do curl -fs -o /dev/null "http://127.0.0.1:$sport/v2/health/ready" && break; sleep 0.01; done

mlserver=0
if python3 -c 'import mlserver, mlserver_xgboost' 2>/dev/null && command -v mlserver >/dev/null; then
  # Tuned as bench/mlserver.sh's "tuned": no access log, one inference worker per core, one
  # OpenMP thread per XGBoost call; loopback only.
  mkdir -p "$dir/mlserver/fraud"
  printf '{"host": "127.0.0.1", "http_port": %d, "grpc_port": %d, "metrics_port": %d, "debug": false, "parallel_workers": %d}\n' \
    $mport $((mport + 1)) $((mport + 2)) "$(nproc)" > "$dir/mlserver/settings.json"
  printf '{"name": "fraud", "implementation": "mlserver_xgboost.XGBoostModel", "parameters": {"uri": "%s"}}\n' \
    "$PWD/models/fraud/2/model.json" > "$dir/mlserver/fraud/model-settings.json"
  (cd "$dir/mlserver" && OMP_NUM_THREADS=1 exec setsid mlserver start .) > "$dir/mlserver.log" 2>&1 & mpid=$!
  for _ in $(seq 1200); do curl -fs -o /dev/null "http://127.0.0.1:$mport/v2/models/fraud/ready" && break; sleep 0.1; done
  curl -fs -o /dev/null "http://127.0.0.1:$mport/v2/models/fraud/ready" ||
    { tail -20 "$dir/mlserver.log" >&2; echo "MLServer not ready after 120 s" >&2; exit 1; }
  mlserver=1
else
  echo "MLServer is not installed: its gRPC is not measured (python3 -m pip install 'mlserver==1.7.*' 'mlserver-xgboost==1.7.*' 'uvloop<0.22')"
fi

# Each gRPC server answers the body with grpc-status 0 and a message before anything is measured
# (h2load counts HTTP statuses only, and a failed gRPC call is an HTTP 200).
grpc_ok() {  # PORT
  curl -sS --max-time 10 --http2-prior-knowledge -H 'content-type: application/grpc' -H 'te: trailers' \
    --data-binary @"$dir/grpc-body" -D "$dir/head" -o "$dir/answer" "http://127.0.0.1:$1/inference.GRPCInferenceService/ModelInfer"
  grep -qi '^grpc-status: 0' "$dir/head" && (( $(stat -c %s "$dir/answer") > 5 )) ||
    { echo "gRPC on port $1 failed:" >&2; cat "$dir/head" >&2; exit 1; }
}
grpc_ok $sport
(( mlserver )) && grpc_ok $((mport + 1))

# Successes of fraud's answering version as Sluice counts them (gRPC failures are HTTP 200s).
successes() { curl -fs "http://127.0.0.1:$sport/v2/models/fraud/versions/2/stats" |
  python3 -c 'import json,sys; s=json.load(sys.stdin)["model_stats"][0]["inference_stats"]; print(s["success"]["count"], s["fail"]["count"])'; }

# One bounded load: h2load for $secs s after 1 s of warm-up (timeout as a backstop), its
# per-request log turned into p50/p99. Prints "RESULT rps=… p50_ms=… p99_ms=… requests=… bad=…"
# (bad: failed, errored and timed-out requests and non-2xx answers).
load() {  # URL BODY CONTENT_TYPE [h2load options…]
  local url=$1 body=$2 ctype=$3 out
  shift 3
  rm -f "$dir/log"
  out=$(timeout $((secs + 30)) h2load -t2 -c"$conns" -D"$secs" --warm-up-time=1 -d "$body" \
        -H "content-type: $ctype" --log-file="$dir/log" "$@" "$url")
  python3 -c '
import re, sys
out = sys.stdin.read()
rps = float(re.search(r"finished in .*?, ([0-9.]+) req/s", out)[1])
done = re.search(r"requests: .* ([0-9]+) succeeded, ([0-9]+) failed, ([0-9]+) errored, ([0-9]+) timeout", out)
codes = re.search(r"status codes: ([0-9]+) 2xx, ([0-9]+) 3xx, ([0-9]+) 4xx, ([0-9]+) 5xx", out)
ms = sorted(int(line.split("\t")[2]) / 1000 for line in open(sys.argv[1]) if line.count("\t") == 2)
pct = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
bad = sum(map(int, done.groups()[1:])) + sum(map(int, codes.groups()[1:]))
print(f"RESULT rps={rps:.1f} p50_ms={pct(0.50):.3f} p99_ms={pct(0.99):.3f} requests={done[1]} bad={bad}")
' "$dir/log" <<<"$out"
}
grpc_path=/inference.GRPCInferenceService/ModelInfer
run() {  # LABEL
  case $1 in
    grpc) load "http://127.0.0.1:$sport$grpc_path" "$dir/grpc-body" application/grpc -H 'te: trailers' -m"$streams" ;;
    rest-h2c) load "http://127.0.0.1:$sport/v2/models/fraud/infer" "$json" application/json -m"$streams" ;;
    http1.1) load "http://127.0.0.1:$sport/v2/models/fraud/infer" "$json" application/json --h1 -m1 ;;
    mlserver-grpc) load "http://127.0.0.1:$((mport + 1))$grpc_path" "$dir/grpc-body" application/grpc -H 'te: trailers' -m"$streams" ;;
  esac
}
labels=(grpc rest-h2c http1.1); (( mlserver )) && labels+=(mlserver-grpc)
for l in "${labels[@]}"; do run "$l" >/dev/null; done   # warm each
for ((i = 0; i < rounds; i++)); do
  for l in "${labels[@]}"; do
    [[ $l == grpc ]] && read -r ok0 fail0 < <(successes)
    r=$(run "$l")
    echo "$l $r" | tee -a "$dir/rounds"
    [[ $r == *" bad=0" ]] || { echo "$l had failures: $r" >&2; exit 1; }
    if [[ $l == grpc ]]; then
      read -r ok1 fail1 < <(successes)
      n=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$r")
      # Every measured gRPC call counted as a success of the model (warm-up calls count too).
      (( fail1 == fail0 && ok1 - ok0 >= n )) ||
        { echo "gRPC calls failed: $((ok1 - ok0)) successes and $((fail1 - fail0)) failures for $n calls" >&2; exit 1; }
    fi
  done
done
if (( mlserver )); then
  failures=$(curl -fs "http://127.0.0.1:$((mport + 2))/metrics" | awk '/^model_infer_request_failure_total\{model="fraud"/ {s += $2} END {print s + 0}')
  [[ $failures == 0 ]] || { echo "MLServer counted $failures failed inferences" >&2; exit 1; }
fi
python3 - "$dir/rounds" <<'PY'
import re, statistics as st, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\S+) RESULT rps=([0-9.]+) p50_ms=([0-9.]+) p99_ms=([0-9.]+)", line)
    runs.setdefault(m[1], []).append(tuple(float(x) for x in m.groups()[1:]))
for label, rs in runs.items():
    print(f"SUMMARY {label}: req/s {' '.join(f'{r[0]:.0f}' for r in rs)} (median {st.median(r[0] for r in rs):.0f}), "
          f"p50 ms median {st.median(r[1] for r in rs):.2f}, p99 ms median {st.median(r[2] for r in rs):.2f}")
for other in ("rest-h2c", "http1.1", "mlserver-grpc"):
    if other in runs:
        ratios = [g[0] / o[0] for g, o in zip(runs["grpc"], runs[other])]
        print(f"SUMMARY grpc/{other} req/s ratio per round: {' '.join(f'{r:.2f}' for r in ratios)} (median {st.median(ratios):.2f})")
PY
