#!/usr/bin/env bash
# Dynamic batching off vs on (issue #17): 1-row V2 JSON infers at 64 and 256 connections to each
# model of scripts/make_batching_models.py, `<name>` (no batching) and `<name>-batched`
# (max_batch_size, dynamic_batching, instances: 1) interleaved off on off on (bench/interleave.sh)
# against one release server. Prints req/s, p50 and p99 per model, connection count and mode,
# the on/off req/s ratio, each model's compute time for one full batch (a max_batch_size-row
# request to `<name>`, from /v2/models/<name>/stats compute_infer ns / count) and whether the
# batched p99 is within max_queue_delay_us + 2 x that.
#   bench/batching.sh [ROUNDS=3] [SECONDS=10]
# Environment: MODELS="wide-mlp cnn digits-mlp xgb500", CONNS="64 256", INSTANCES=0 for a
# Sluice without the `instances` key, BIN (.build/release/sluice), PORT (18097), REPO (the
# repository, made once per version of the script that writes it and kept in $TMPDIR).
# Needs wrk (scripts/ensure-deps.sh bench), python3 with onnx, onnxruntime and xgboost.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; secs=${2:-10}
models=${MODELS:-wide-mlp cnn digits-mlp xgb500}
conns_list=${CONNS:-64 256}
port=${PORT:-18097}
bin=${BIN:-.build/release/sluice}
shared=${SHARED:-../shared}
[[ -x $bin ]] || { echo "build first: swift build -c release --product sluice" >&2; exit 2; }
source bench/interleave.sh

make_flags=(); [[ ${INSTANCES:-1} == 0 ]] && make_flags=(--no-instances)
key=$(cat scripts/make_batching_models.py <(echo "${make_flags[*]}") | sha256sum | cut -c1-12)
repo=${REPO:-${TMPDIR:-/tmp}/sluice-batching-$key}
if [[ ! -f $repo/.complete ]]; then
  rm -rf "$repo.part"
  timeout 900 python3 scripts/make_batching_models.py "$repo.part" "${make_flags[@]}"
  touch "$repo.part/.complete"; rm -rf "$repo"; mv "$repo.part" "$repo"
fi

cleanup() { [[ -n ${spid:-} ]] && kill "$spid" 2>/dev/null; wait 2>/dev/null; rm -f "${out:-}"; }
trap cleanup EXIT
base=http://127.0.0.1:$port
$bin serve --host 127.0.0.1 --port "$port" --models "$repo" --poll-interval 0 --log-level warning & spid=$!
deadline=$(( $(date +%s) + 120 ))
for m in $models; do
  for name in "$m" "$m-batched"; do
    until curl -fs -o /dev/null "$base/v2/models/$name/ready"; do
      kill -0 "$spid" 2>/dev/null || { echo "sluice exited" >&2; exit 1; }
      meta=$(curl -s "$base/v2/models/$name" || true)
      if [[ $meta == *'"unavailable":[{'* ]]; then
        echo "$name will not serve: $meta" >&2
        [[ $meta == *"instances: unknown key"* ]] && echo "(this Sluice has no instances key yet: INSTANCES=0 $0 $*)" >&2
        exit 1
      fi
      (( $(date +%s) < deadline )) || { echo "$name not ready after 120 s:" >&2; curl -s "$base/v2/models/$name" >&2; exit 1; }
      sleep 0.1
    done
  done
done
timeout 120 python3 scripts/make_batching_models.py "$repo" --verify "$base"

# The compute time of one full batch: 5 warm-up then 20 timed max_batch_size-row requests to the
# unbatched twin (the same graph), read back from the statistics extension.
compute_ms() {
  local m=$1 before after i
  compute_stat() { curl -fs "$base/v2/models/$m/stats" | python3 -c 'import json,sys
s=json.load(sys.stdin)["model_stats"][0]["inference_stats"]["compute_infer"]; print(s["count"], s["ns"])'; }
  for ((i = 0; i < 5; i++)); do curl -fs -m 30 -o /dev/null -H 'Content-Type: application/json' --data-binary "@$repo/$m.full.json" "$base/v2/models/$m/infer"; done
  before=$(compute_stat)
  for ((i = 0; i < 20; i++)); do curl -fs -m 30 -o /dev/null -H 'Content-Type: application/json' --data-binary "@$repo/$m.full.json" "$base/v2/models/$m/infer"; done
  after=$(compute_stat)
  python3 -c 'import sys; c0, n0, c1, n1 = map(int, sys.argv[1:]); print(f"{(n1 - n0) / (c1 - c0) / 1e6:.3f}")' $before $after
}

out=$(mktemp)
for m in $models; do
  full_ms=$(compute_ms "$m")
  rows=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["inputs"][0]["shape"][0])' "$repo/$m.full.json")
  delay_us=$(sed -nE 's/.*max_queue_delay_us: ([0-9]+).*/\1/p' "$repo/$m-batched/model.yaml")
  echo "MODEL $m full batch ($rows rows) compute ${full_ms} ms; max_queue_delay_us $delay_us"
  for conns in $conns_list; do
    body=$repo/$m.1row.json infer_path= wrk_timeout=30s interleave off "$base/v2/models/$m/infer" on "$base/v2/models/$m-batched/infer" \
      | sed "s/^/$m c=$conns /" | tee -a "$out"
    echo "BOUND $m c=$conns $delay_us $full_ms" >>"$out"
  done
done

python3 - "$out" <<'PY'
import re, statistics as st, sys
runs, bounds = {}, {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) > 3 and f[3] == "RESULT":
        kv = dict(x.split("=") for x in f[4:])
        runs.setdefault((f[0], f[1], f[2]), []).append((float(kv["rps"]), float(kv["p50_ms"]), float(kv["p99_ms"])))
    elif f and f[0] == "BOUND":
        bounds[(f[1], f[2])] = (int(f[3]) / 1000 + 2 * float(f[4]))
print(f"\n{'model':<11} {'conns':>5} | {'off req/s':>9} {'p50':>7} {'p99':>7} | {'on req/s':>9} {'p50':>7} {'p99':>7} | on/off | p99 bound  on within")
for (m, c), bound in bounds.items():
    med = {mode: [st.median(x[i] for x in runs[(m, c, mode)]) for i in range(3)] for mode in ("off", "on")}
    ratio = st.median(b[0] / a[0] for a, b in zip(runs[(m, c, "off")], runs[(m, c, "on")]))
    (r0, a50, a99), (r1, b50, b99) = med["off"], med["on"]
    print(f"{m:<11} {c[2:]:>5} | {r0:9.0f} {a50:7.2f} {a99:7.2f} | {r1:9.0f} {b50:7.2f} {b99:7.2f} | {ratio:5.2f}x"
          f" | {bound:6.2f} ms  {'yes' if b99 <= bound else 'NO'}")
print("(latencies in ms, medians over rounds; bound = max_queue_delay_us + 2 x full-batch compute, the issue's\n"
      " goal for the wide MLP; where the off p99 is already past it, HTTP queueing at that many connections sets p99)")
PY
