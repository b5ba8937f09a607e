#!/usr/bin/env bash
# Sluice vs the nginx ceiling on a 1-row V2 JSON infer, interleaved A B A B A B, plus idle RSS
# and start-to-ready time. Ratios from one run are what we quote (2 noisy cores).
#   bench/http-infer.sh [ROUNDS=3] [SECONDS=10] [CONNECTIONS=32]
# Needs wrk and nginx (make bench installs them) and a release build (.build/release/sluice).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; secs=${2:-10}; conns=${3:-32}
shared=${SHARED:-../shared}
body=bench/infer-1row.json
sport=18090; nport=18080
bin=${BIN:-.build/release/sluice}
[[ -x $bin ]] || { echo "build first: swift build -c release --product sluice" >&2; exit 2; }

cleanup() { [[ -n ${spid:-} ]] && kill "$spid" 2>/dev/null; "$shared/bench/ceiling.sh" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

start_ns=$(date +%s%N)
$bin serve --host 127.0.0.1 --port $sport --models models --log-level warning & spid=$!
until curl -fs -o /dev/null "http://127.0.0.1:$sport/v2/health/ready"; do
  (( $(date +%s%N) - start_ns > 10000000000 )) && { echo "not ready after 10 s" >&2; exit 1; }
  sleep 0.005
done
ready_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
idle_rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$spid/status)
"$shared/bench/ceiling.sh" start $nport >/dev/null

curl -fs -X POST -H 'Content-Type: application/json' --data-binary @$body "http://127.0.0.1:$sport/v2/models/fraud/infer" >/dev/null
run() { wrk -t2 -c"$conns" -d"${secs}s" -s "$shared/bench/post.lua" "http://127.0.0.1:$1/v2/models/fraud/infer" -- "$body" | grep '^RESULT'; }
run $sport >/dev/null; run $nport >/dev/null   # warm both
declare -a s_rps n_rps s_p99 n_p99
for ((i = 0; i < rounds; i++)); do
  s=$(run $sport); n=$(run $nport)
  echo "sluice $s"; echo "nginx  $n"
  s_rps+=("$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$s")"); n_rps+=("$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$n")")
  s_p99+=("$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$s")"); n_p99+=("$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$n")")
  [[ $s == *"non2xx=0 "* ]] || { echo "sluice answered non-2xx: $s" >&2; exit 1; }
done
loaded_rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$spid/status)
python3 - "${s_rps[*]}" "${n_rps[*]}" "${s_p99[*]}" "${n_p99[*]}" "$ready_ms" "$idle_rss_kb" "$loaded_rss_kb" <<'PY'
import statistics as st, sys
s, n, sp, np_ = ([float(x) for x in a.split()] for a in sys.argv[1:5])
ready, idle, loaded = sys.argv[5:8]
ratios = [a / b for a, b in zip(s, n)]
print(f"SUMMARY sluice/nginx req/s ratio per round: {' '.join(f'{r:.2f}' for r in ratios)} (median {st.median(ratios):.2f})")
print(f"SUMMARY sluice p99 ms: median {st.median(sp):.2f} (nginx {st.median(np_):.2f}); start to ready {ready} ms; "
      f"RSS idle {int(idle)/1024:.1f} MB, after load {int(loaded)/1024:.1f} MB")
PY
