#!/usr/bin/env bash
# CPU time per request, user and kernel, for Sluice and the nginx ceiling under the same wrk
# load, from /proc/PID/stat (utime, stime) and /proc/PID/task/*/status (context switches):
# where a req/s gap comes from, in microseconds per request rather than in noisy req/s.
#   bench/cpu-per-request.sh [SECONDS=5] [PATH=/v2/models/fraud/infer] [ROUNDS=2]
# A path under /v2/models/ is POSTed with bench/infer-1row.json (../shared/bench/post.lua);
# any other is a GET. Needs wrk and nginx (make bench installs them) and a release build
# (BIN=.build/release/sluice by default).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}; path=${2:-/v2/models/fraud/infer}; rounds=${3:-2}
shared=${SHARED:-../shared}
bin=${BIN:-.build/release/sluice}
[[ -x $bin ]] || { echo "build first: swift build -c release --product sluice" >&2; exit 2; }
sport=18095; nport=18085

"$bin" serve --host 127.0.0.1 --port $sport --models models --log-level warning & spid=$!
trap 'kill $spid 2>/dev/null; "$shared/bench/ceiling.sh" stop >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 500); do curl -fs -o /dev/null "http://127.0.0.1:$sport/v2/health/ready" && break; sleep 0.02; done
"$shared/bench/ceiling.sh" start $nport >/dev/null
npids=$(pgrep -f "nginx: worker" | tr '\n' ' ')
tick=$(getconf CLK_TCK)

# utime, stime (ticks) and voluntary / involuntary switches summed over the processes given.
snapshot() {
  local u=0 s=0 v=0 n=0
  for p in "$@"; do
    read -r pu ps < <(awk '{print $14, $15}' "/proc/$p/stat")
    u=$((u + pu)); s=$((s + ps))
    read -r pv pn < <(cat /proc/"$p"/task/*/status | awk '/^voluntary_ctxt/ {v += $2} /^nonvoluntary_ctxt/ {n += $2} END {print v + 0, n + 0}')
    v=$((v + pv)); n=$((n + pn))
  done
  echo "$u $s $v $n"
}

measure() { # name port pids...
  local name=$1 port=$2; shift 2
  read -r u0 s0 v0 n0 < <(snapshot "$@")
  if [[ $path == /v2/models/* ]]; then
    requests=$(wrk -t2 -c32 -d"${secs}s" -s "$shared/bench/post.lua" "http://127.0.0.1:$port$path" -- bench/infer-1row.json \
      | sed -nE 's/^RESULT .*requests=([0-9]+).*/\1/p')
  else
    requests=$(wrk -t2 -c32 -d"${secs}s" "http://127.0.0.1:$port$path" | awk '/requests in/ {print $1}')
  fi
  read -r u1 s1 v1 n1 < <(snapshot "$@")
  python3 - "$name" "$requests" "$secs" "$tick" "$((u1 - u0))" "$((s1 - s0))" "$((v1 - v0))" "$((n1 - n0))" <<'PY'
import sys
name, n, secs, tick, du, ds, dv, dn = sys.argv[1], *map(int, sys.argv[2:])
print(f"RESULT {name:6} req/s={n / secs:8.0f}  user µs/req={du / tick / n * 1e6:5.1f}  kernel µs/req={ds / tick / n * 1e6:5.1f}"
      f"  voluntary switches/req={dv / n:.3f}  involuntary/req={dn / n:.3f}")
PY
}

for ((i = 0; i < rounds; i++)); do
  measure sluice $sport "$spid"
  # shellcheck disable=SC2086
  measure nginx $nport $npids
done
