#!/usr/bin/env bash
# Sluice vs MLServer (Seldon's Python V2 server with its XGBoost runtime) on the same model file
# (models/fraud/2/model.json) and the same 1-row V2 JSON body, each with its default settings,
# interleaved MLServer Sluice, MLServer Sluice, … (bench/interleave.sh); then each one's p99 and
# RSS after the load (MLServer: the main process and all its children, the inference worker too).
# Ratios from one run are what we quote (2 noisy cores).
#   bench/mlserver.sh [ROUNDS=3] [SECONDS=10] [CONNECTIONS=32]
# Needs wrk (make bench installs it), a release build (BIN, default .build/release/sluice) and the
# Python packages mlserver and mlserver-xgboost 1.7, which make bench does not install.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/interleave.sh
rounds=${1:-3}; secs=${2:-10}; conns=${3:-32}
shared=${SHARED:-../shared}
body=bench/infer-1row.json
model=$PWD/models/fraud/2/model.json
sport=18094; mport=18095; mgrpc=18096; mmetrics=18097
bin=${BIN:-.build/release/sluice}
[[ -x $bin ]] || { echo "build first: swift build -c release --product sluice" >&2; exit 2; }
for tool in wrk curl; do command -v $tool >/dev/null || { echo "$tool is missing (make bench)" >&2; exit 2; }; done
pip_cmd="python3 -m pip install 'mlserver==1.7.*' 'mlserver-xgboost==1.7.*' 'uvloop<0.22'"
python3 -c 'import mlserver, mlserver_xgboost' 2>/dev/null && command -v mlserver >/dev/null ||
  { echo "MLServer is missing: $pip_cmd" >&2; exit 2; }
# uvloop 0.22 made asyncio.get_event_loop() raise where no loop runs, which MLServer 1.7.1's
# inference worker calls first thing: the worker dies and the model never loads (SeldonIO/MLServer#2286).
python3 - <<'PY' || { echo "uvloop >= 0.22 breaks MLServer 1.7's workers: $pip_cmd" >&2; exit 2; }
import sys
try:
    import uvloop
except ImportError:
    sys.exit(0)
sys.exit(tuple(int(p) for p in uvloop.__version__.split(".")[:2]) >= (0, 22))
PY

dir=$(mktemp -d)
# Stops both servers (MLServer with its whole process group: workers, resource tracker), 5 s each
# to go by themselves, then SIGKILL.
stop() {
  local target=$1
  kill -TERM -- "$target" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 -- "$target" 2>/dev/null || return 0; sleep 0.1; done
  echo "killing $target (still there 5 s after SIGTERM)" >&2; kill -KILL -- "$target" 2>/dev/null || true
}
cleanup() { [[ -n ${spid:-} ]] && stop "$spid"; [[ -n ${mpid:-} ]] && stop "-$mpid"; rm -rf "$dir"; }
trap cleanup EXIT

# MLServer: server-wide defaults except where it listens (loopback, free ports); the model is the
# file Sluice serves as fraud version 2, named fraud so both answer on the same path.
printf '{"host": "127.0.0.1", "http_port": %d, "grpc_port": %d, "metrics_port": %d}\n' \
  $mport $mgrpc $mmetrics > "$dir/settings.json"
mkdir "$dir/fraud"
printf '{"name": "fraud", "implementation": "mlserver_xgboost.XGBoostModel", "parameters": {"uri": "%s"}}\n' \
  "$model" > "$dir/fraud/model-settings.json"
# setsid: MLServer leads its own process group, so stop() reaches the workers it forks.
(cd "$dir" && exec setsid mlserver start .) > "$dir/mlserver.log" 2>&1 & mpid=$!
$bin serve --host 127.0.0.1 --port $sport --models models --log-level warning & spid=$!

wait_ready() {  # NAME PORT PID SECONDS
  local deadline=$(( $(date +%s) + $4 ))
  until curl -fs --max-time 2 -o /dev/null "http://127.0.0.1:$2/v2/models/fraud/ready"; do
    kill -0 "$3" 2>/dev/null || { echo "$1 exited before it was ready" >&2; return 1; }
    (( $(date +%s) < deadline )) || { echo "$1 not ready after $4 s" >&2; return 1; }
    sleep 0.1
  done
}
wait_ready sluice $sport "$spid" 10
wait_ready mlserver $mport "$mpid" 90 || { tail -20 "$dir/mlserver.log" >&2; exit 1; }

descendants() { local p; for p in $(ps -o pid= --ppid "$1"); do echo "$p"; descendants "$p"; done; }
rss_kb() {  # sum of VmRSS over the given pids
  local p sum=0
  for p in "$@"; do sum=$(( sum + $(awk '/^VmRSS/ {print $2; exit} END {if (!NR) print 0}' "/proc/$p/status" 2>/dev/null || echo 0) )); done
  echo "$sum"
}
mchildren=$(descendants "$mpid" | xargs)
workers=0
for p in $mchildren; do grep -qa spawn_main "/proc/$p/cmdline" 2>/dev/null && workers=$((workers + 1)); done
default_workers=$(python3 -c 'from mlserver.settings import Settings; print(Settings.model_fields["parallel_workers"].default)' 2>/dev/null || echo "?")
echo "MLServer $(python3 -c 'import mlserver; print(mlserver.__version__)'): main process $mpid, children $mchildren;" \
  "$workers inference worker(s) (parallel_workers default $default_workers${MLSERVER_PARALLEL_WORKERS:+, MLSERVER_PARALLEL_WORKERS=$MLSERVER_PARALLEL_WORKERS})"

# Once, before measuring: both answer 200 to the body, and give the same probability of class 1.
# Sluice answers probabilities [P(0), P(1)] and a label; mlserver-xgboost loads a binary:logistic
# JSON model as an XGBRegressor, so its default output "predict" is P(1) and it refuses
# "predict_proba". Compared: Sluice's probabilities[0][1] against MLServer's predict[0].
for srv in sluice:$sport mlserver:$mport; do
  code=$(curl -s --max-time 10 -o "$dir/${srv%:*}.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary @$body "http://127.0.0.1:${srv#*:}/v2/models/fraud/infer") || true
  [[ $code == 200 ]] || { echo "${srv%:*} answered $code: $(head -c 500 "$dir/${srv%:*}.json")" >&2; exit 1; }
done
python3 - "$dir/sluice.json" "$dir/mlserver.json" <<'PY'
import json, sys
s, m = ({o["name"]: o for o in json.load(open(f))["outputs"]} for f in sys.argv[1:3])
if s.get("probabilities", {}).get("shape") != [1, 2] or m.get("predict", {}).get("shape") not in ([1, 1], [1]):
    sys.exit(f"unexpected outputs: sluice {sorted(s)}, mlserver {sorted(m)}")
ps, pm = s["probabilities"]["data"][1], m["predict"]["data"][0]
print(f"CHECK P(class 1): sluice probabilities[0][1] {ps:.8f}, mlserver predict[0] {pm:.8f}, |diff| {abs(ps - pm):.1e} (limit 1e-5)")
if not abs(ps - pm) <= 1e-5:
    sys.exit("the two servers disagree")
PY

interleave mlserver "http://127.0.0.1:$mport" sluice "http://127.0.0.1:$sport" | tee "$dir/rounds"
s_rss_kb=$(rss_kb "$spid")
m_rss_kb=$(rss_kb "$mpid" $(descendants "$mpid"))
python3 - "$dir/rounds" "$s_rss_kb" "$m_rss_kb" <<'PY'
import re, statistics as st, sys
p99 = {"sluice": [], "mlserver": []}
for line in open(sys.argv[1]):
    if (m := re.match(r"(sluice|mlserver) RESULT .*p99_ms=([0-9.]+)", line)):
        p99[m[1]].append(float(m[2]))
s_rss, m_rss = (int(k) / 1024 for k in sys.argv[2:4])
print(f"SUMMARY p99 ms per round: sluice {' '.join(f'{x:.2f}' for x in p99['sluice'])} (median {st.median(p99['sluice']):.2f}), "
      f"mlserver {' '.join(f'{x:.1f}' for x in p99['mlserver'])} (median {st.median(p99['mlserver']):.1f})")
print(f"SUMMARY RSS after load: sluice {s_rss:.1f} MB, mlserver {m_rss:.1f} MB (main process and its children)")
PY
