#!/usr/bin/env bash
# Sluice vs MLServer (Seldon's Python V2 server with its XGBoost runtime) on the same model file
# (models/fraud/2/model.json) and the same 1-row V2 JSON body. MLServer runs twice, side by side:
# as it comes (its defaults: one inference worker, debug on, XGBoost's OpenMP pool as large as the
# machine) and tuned ("debug": false, "parallel_workers" at the core count, OMP_NUM_THREADS=1 so
# each 1-row predict stays on its worker's thread). Rounds are interleaved MLServer-defaults,
# Sluice, MLServer-tuned, … (bench/interleave.sh), so Sluice is measured next to each; the two
# MLServers run throughout, the one not under load idling (about 0.3 % of a core, measured once).
# Then each one's p99 and RSS after the load (MLServer: the main process and all its children,
# the inference workers too). Ratios from one run are what we quote (2 noisy cores).
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
sport=18094
declare -A mport=([defaults]=18095 [tuned]=18098)   # each MLServer takes its port and the next two
cores=$(nproc)
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
declare -A mpid=()
# Stops a server (an MLServer with its whole process group: workers, resource tracker), 5 s to go
# by itself, then SIGKILL.
stop() {
  local target=$1
  kill -TERM -- "$target" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 -- "$target" 2>/dev/null || return 0; sleep 0.1; done
  echo "killing $target (still there 5 s after SIGTERM)" >&2; kill -KILL -- "$target" 2>/dev/null || true
}
cleanup() {
  local c
  [[ -n ${spid:-} ]] && stop "$spid"
  for c in "${!mpid[@]}"; do stop "-${mpid[$c]}"; done
  rm -rf "$dir"
}
trap cleanup EXIT

# Each MLServer gets a folder with its settings.json and the model, the file Sluice serves as fraud
# version 2, named fraud so all three answer on the same path. Both listen on loopback only, on
# ports of their own (HTTP, gRPC, metrics). Defaults: nothing else set, and OMP_NUM_THREADS taken
# out of its environment. Tuned: no access-log line per request, one inference worker per core,
# and one OpenMP thread per XGBoost call instead of a pool per call as large as the machine.
for conf in defaults tuned; do
  mkdir -p "$dir/$conf/fraud"
  p=${mport[$conf]}
  extra=""; [[ $conf == tuned ]] && extra=", \"debug\": false, \"parallel_workers\": $cores"
  printf '{"host": "127.0.0.1", "http_port": %d, "grpc_port": %d, "metrics_port": %d%s}\n' \
    "$p" $((p + 1)) $((p + 2)) "$extra" > "$dir/$conf/settings.json"
  printf '{"name": "fraud", "implementation": "mlserver_xgboost.XGBoostModel", "parameters": {"uri": "%s"}}\n' \
    "$model" > "$dir/$conf/fraud/model-settings.json"
  omp=(-u OMP_NUM_THREADS); [[ $conf == tuned ]] && omp=(OMP_NUM_THREADS=1)
  # setsid: MLServer leads its own process group, so stop() reaches the workers it forks.
  (cd "$dir/$conf" && exec env "${omp[@]}" setsid mlserver start .) > "$dir/mlserver-$conf.log" 2>&1 &
  mpid[$conf]=$!
done
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
for conf in defaults tuned; do
  wait_ready "mlserver ($conf)" "${mport[$conf]}" "${mpid[$conf]}" 120 || { tail -20 "$dir/mlserver-$conf.log" >&2; exit 1; }
done

descendants() { local p; for p in $(ps -o pid= --ppid "$1"); do echo "$p"; descendants "$p"; done; }
rss_kb() {  # sum of VmRSS over the given pids
  local p sum=0
  for p in "$@"; do sum=$(( sum + $(awk '/^VmRSS/ {print $2; exit} END {if (!NR) print 0}' "/proc/$p/status" 2>/dev/null || echo 0) )); done
  echo "$sum"
}
default_workers=$(python3 -c 'from mlserver.settings import Settings; print(Settings.model_fields["parallel_workers"].default)' 2>/dev/null || echo "?")
for conf in defaults tuned; do
  children=$(descendants "${mpid[$conf]}" | xargs)
  workers=0
  for p in $children; do grep -qa spawn_main "/proc/$p/cmdline" 2>/dev/null && workers=$((workers + 1)); done
  set_to="parallel_workers default $default_workers${MLSERVER_PARALLEL_WORKERS:+, MLSERVER_PARALLEL_WORKERS=$MLSERVER_PARALLEL_WORKERS}"
  [[ $conf == tuned ]] && set_to="parallel_workers $cores, debug false, OMP_NUM_THREADS=1"
  echo "MLServer $(python3 -c 'import mlserver; print(mlserver.__version__)') $conf: main process ${mpid[$conf]}," \
    "children $children; $workers inference worker(s) ($set_to)"
done

# Once, before measuring: all three answer 200 to the body, and give the same probability of
# class 1. Sluice answers probabilities [P(0), P(1)] and a label; mlserver-xgboost loads a
# binary:logistic JSON model as an XGBRegressor, so its default output "predict" is P(1) and it
# refuses "predict_proba". Compared: Sluice's probabilities[0][1] against MLServer's predict[0].
for srv in sluice:$sport mlserver-defaults:${mport[defaults]} mlserver-tuned:${mport[tuned]}; do
  code=$(curl -s --max-time 10 -o "$dir/${srv%:*}.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary @$body "http://127.0.0.1:${srv#*:}/v2/models/fraud/infer") || true
  [[ $code == 200 ]] || { echo "${srv%:*} answered $code: $(head -c 500 "$dir/${srv%:*}.json")" >&2; exit 1; }
done
python3 - "$dir/sluice.json" "$dir/mlserver-defaults.json" "$dir/mlserver-tuned.json" <<'PY'
import json, sys
s = {o["name"]: o for o in json.load(open(sys.argv[1]))["outputs"]}
if s.get("probabilities", {}).get("shape") != [1, 2]:
    sys.exit(f"unexpected outputs: sluice {sorted(s)}")
ps = s["probabilities"]["data"][1]
for conf, f in zip(("defaults", "tuned"), sys.argv[2:4]):
    m = {o["name"]: o for o in json.load(open(f))["outputs"]}
    if m.get("predict", {}).get("shape") not in ([1, 1], [1]):
        sys.exit(f"unexpected outputs: mlserver {conf} {sorted(m)}")
    pm = m["predict"]["data"][0]
    print(f"CHECK P(class 1): sluice probabilities[0][1] {ps:.8f}, mlserver {conf} predict[0] {pm:.8f}, |diff| {abs(ps - pm):.1e} (limit 1e-5)")
    if not abs(ps - pm) <= 1e-5:
        sys.exit(f"sluice and mlserver {conf} disagree")
PY

interleave mlserver-defaults "http://127.0.0.1:${mport[defaults]}" sluice "http://127.0.0.1:$sport" \
  mlserver-tuned "http://127.0.0.1:${mport[tuned]}" | tee "$dir/rounds"
s_rss_kb=$(rss_kb "$spid")
md_rss_kb=$(rss_kb "${mpid[defaults]}" $(descendants "${mpid[defaults]}"))
mt_rss_kb=$(rss_kb "${mpid[tuned]}" $(descendants "${mpid[tuned]}"))
python3 - "$dir/rounds" "$s_rss_kb" "$md_rss_kb" "$mt_rss_kb" <<'PY'
import re, statistics as st, sys
names = ("sluice", "mlserver-defaults", "mlserver-tuned")
p99 = {n: [] for n in names}
for line in open(sys.argv[1]):
    if (m := re.match(r"(\S+) RESULT .*p99_ms=([0-9.]+)", line)) and m[1] in p99:
        p99[m[1]].append(float(m[2]))
rss = dict(zip(names, (int(k) / 1024 for k in sys.argv[2:5])))
print("SUMMARY p99 ms per round: " + ", ".join(
    f"{n} {' '.join(f'{x:.2f}' for x in p99[n])} (median {st.median(p99[n]):.2f})" for n in names))
print("SUMMARY RSS after load: " + ", ".join(f"{n} {rss[n]:.1f} MB" for n in names)
      + " (MLServer: main process and its children)")
PY
