#!/usr/bin/env bash
# Two sluice binaries on the same cleartext 1-row V2 JSON infer, interleaved A B A B A B: the
# check that a change did not slow the HTTP/1.1 hot path (e.g. A = a release build of main,
# B = this branch). Ratios from one run are what we quote (2 noisy cores).
#   bench/ab.sh BINARY_A BINARY_B [ROUNDS=3] [SECONDS=10] [CONNECTIONS=32]
set -euo pipefail
cd "$(dirname "$0")/.."
a=${1:?binary A}; b=${2:?binary B}; rounds=${3:-3}; secs=${4:-10}; conns=${5:-32}
shared=${SHARED:-../shared}
body=bench/infer-1row.json
aport=18290; bport=18291
command -v wrk >/dev/null || { echo "wrk is missing (make bench)" >&2; exit 2; }
# Defaults only: an older binary may not know every key of today's config/sluice.yaml.
empty=$(mktemp)
cleanup() { kill ${apid:-} ${bpid:-} 2>/dev/null || true; rm -f "$empty"; }
trap cleanup EXIT
"$a" serve --config "$empty" --host 127.0.0.1 --port $aport --models models --log-level warning & apid=$!
"$b" serve --config "$empty" --host 127.0.0.1 --port $bport --models models --log-level warning & bpid=$!
for port in $aport $bport; do
  for _ in $(seq 1000); do curl -fs -o /dev/null "http://127.0.0.1:$port/v2/health/ready" && break; sleep 0.01; done
done
run() { wrk -t2 -c"$conns" -d"${secs}s" -s "$shared/bench/post.lua" "http://127.0.0.1:$1/v2/models/fraud/infer" -- "$body" | grep '^RESULT'; }
run $aport >/dev/null; run $bport >/dev/null   # warm both
declare -a a_rps b_rps
for ((i = 0; i < rounds; i++)); do
  ra=$(run $aport); rb=$(run $bport)
  echo "A $ra"; echo "B $rb"
  for r in "$ra" "$rb"; do [[ $r == *"non2xx=0 sock_errors=0"* ]] || { echo "errors: $r" >&2; exit 1; }; done
  a_rps+=("$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$ra")"); b_rps+=("$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$rb")")
done
python3 - "${a_rps[*]}" "${b_rps[*]}" <<'PY'
import statistics as st, sys
a, b = ([float(x) for x in s.split()] for s in sys.argv[1:3])
ratios = [y / x for x, y in zip(a, b)]
print(f"SUMMARY B/A req/s ratio per round: {' '.join(f'{r:.2f}' for r in ratios)} (median {st.median(ratios):.2f}); "
      f"median req/s A {st.median(a):.0f}, B {st.median(b):.0f}")
PY
