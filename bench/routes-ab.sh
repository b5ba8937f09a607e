#!/usr/bin/env bash
# What routing costs per request: a build without routes (BASE, e.g. main's release binary) and
# this build, both serving models/ with config/routes.yaml, interleaved A B A B A B under wrk.
# Three paths on this build: a plain model name (/v2/models/fraud, the hot path that must not
# get slower), and the route fraud-ab with and without a sticky key.
#   bench/routes-ab.sh BASE_BINARY [ROUNDS=3] [SECONDS=10] [CONNECTIONS=32]
# Needs wrk and a release build (.build/release/sluice). Ratios from one run; 2 noisy cores.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: bench/routes-ab.sh BASE_BINARY [ROUNDS] [SECONDS] [CONNECTIONS]}
rounds=${2:-3}; secs=${3:-10}; conns=${4:-32}
shared=${SHARED:-../shared}
body=bench/infer-1row.json
bin=.build/release/sluice
aport=18191; bport=18192
[[ -x $bin ]] || { echo "build first: swift build -c release --product sluice" >&2; exit 2; }

cleanup() { kill ${apid:-} ${bpid:-} 2>/dev/null || true; }
trap cleanup EXIT
$base serve --host 127.0.0.1 --port $aport --models models --routes config/routes.yaml --log-level warning & apid=$!
$bin serve --host 127.0.0.1 --port $bport --models models --routes config/routes.yaml --log-level warning & bpid=$!
for port in $aport $bport; do
  for _ in $(seq 1 1000); do curl -fs -o /dev/null "http://127.0.0.1:$port/v2/health/ready" && break; sleep 0.01; done
done
run() {  # port path [header]
  local extra=(); [[ -n ${3:-} ]] && extra=(-H "$3")
  wrk -t2 -c"$conns" -d"${secs}s" "${extra[@]}" -s "$shared/bench/post.lua" "http://127.0.0.1:$1$2" -- "$body" | grep '^RESULT'
}
run $aport /v2/models/fraud/infer >/dev/null; run $bport /v2/models/fraud/infer >/dev/null   # warm both
declare -a base_rps plain_rps routed_rps sticky_rps
for ((i = 0; i < rounds; i++)); do
  a=$(run $aport /v2/models/fraud/infer); b=$(run $bport /v2/models/fraud/infer)
  r=$(run $bport /v2/models/fraud-ab/infer); k=$(run $bport /v2/models/fraud-ab/infer "x-user-id: user-42")
  echo "base plain   $a"; echo "this plain   $b"; echo "this routed  $r"; echo "this sticky  $k"
  for x in "$a" "$b" "$r" "$k"; do [[ $x == *"non2xx=0 "* ]] || { echo "non-2xx answers: $x" >&2; exit 1; }; done
  base_rps+=("$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$a")"); plain_rps+=("$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$b")")
  routed_rps+=("$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$r")"); sticky_rps+=("$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$k")")
done
python3 - "${base_rps[*]}" "${plain_rps[*]}" "${routed_rps[*]}" "${sticky_rps[*]}" <<'PY'
import statistics as st, sys
base, plain, routed, sticky = ([float(x) for x in a.split()] for a in sys.argv[1:5])
def ratios(xs): return [x / b for x, b in zip(xs, base)]
for name, xs in [("plain model name", plain), ("route, random arm", routed), ("route, sticky key", sticky)]:
    r = ratios(xs)
    print(f"SUMMARY {name}: this/base req/s per round {' '.join(f'{v:.2f}' for v in r)} (median {st.median(r):.2f})")
PY
