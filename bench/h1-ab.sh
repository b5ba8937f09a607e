#!/usr/bin/env bash
# Two builds on the HTTP/1.1 hot path (1-row V2 JSON infer, wrk -t2 -c32), in A B B A order,
# with the server's CPU time per request from /proc/PID/stat: on a busy 2-core machine that
# moves less than req/s does. For "did this branch make HTTP/1.1 slower?".
#   bench/h1-ab.sh BIN_A BIN_B [ROUNDS=2] [SECONDS=6]
set -euo pipefail
cd "$(dirname "$0")/.."
a_bin=$(realpath "$1"); b_bin=$(realpath "$2"); rounds=${3:-2}; secs=${4:-6}
shared=$(realpath "${SHARED:-../shared}")
body=$(realpath bench/infer-1row.json); models=$(realpath models)
cleanup() { kill ${a:-} ${b:-} 2>/dev/null || true; }
trap cleanup EXIT
# From an empty folder, so neither build reads a config/sluice.yaml it may not know.
cd "$(mktemp -d)"
"$a_bin" serve --host 127.0.0.1 --port 18111 --models "$models" --log-level warning & a=$!
"$b_bin" serve --host 127.0.0.1 --port 18112 --models "$models" --log-level warning & b=$!
for p in 18111 18112; do
  for _ in $(seq 1 1000); do curl -fs -o /dev/null "http://127.0.0.1:$p/v2/health/ready" && break; sleep 0.01; done
done
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
one() {
  local pid=$1 port=$2 c0 c1 r
  c0=$(cpu "$pid")
  r=$(wrk -t2 -c32 -d"${secs}s" -s "$shared/bench/post.lua" "http://127.0.0.1:$port/v2/models/fraud/infer" -- "$body" | grep '^RESULT')
  c1=$(cpu "$pid")
  # /proc/PID/stat counts clock ticks of 10 ms.
  python3 -c 'import re, sys
r, c1, c0 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
n = int(re.search(r"requests=(\d+)", r).group(1))
print(re.search(r"rps=([\d.]+)", r).group(1), round((c1 - c0) * 1e4 / n, 2))' "$r" "$c1" "$c0"
}
declare -a ra rb
for ((i = 0; i < rounds; i++)); do
  x=$(one $a 18111); y=$(one $b 18112); y2=$(one $b 18112); x2=$(one $a 18111)
  echo "A rps cpu_us/req: $x | $x2"; echo "B rps cpu_us/req: $y | $y2"
  ra+=("$x" "$x2"); rb+=("$y" "$y2")
done
python3 - "$(printf '%s\n' "${ra[@]}")" "$(printf '%s\n' "${rb[@]}")" <<'PY'
import statistics as st, sys
a, b = ([tuple(map(float, l.split())) for l in s.splitlines()] for s in sys.argv[1:3])
for name, k in (("req/s", 0), ("CPU us per request", 1)):
    ma, mb = st.median(x[k] for x in a), st.median(x[k] for x in b)
    print(f"SUMMARY {name}: A median {ma:.2f}, B median {mb:.2f}, B/A {mb / ma:.2f}")
PY
