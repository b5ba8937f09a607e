#!/usr/bin/env bash
# HTTP/2 (h2c, h2load with many streams per connection) against HTTP/1.1 (wrk, keep-alive) on
# the same 1-row V2 JSON infer of models/fraud, interleaved A B A B A B against one server.
# Ratios from one run are what we quote (2 noisy cores).
#   bench/http2.sh [ROUNDS=3] [SECONDS=10] [CONNECTIONS=32] [STREAMS=10]
# Needs wrk and h2load (make bench installs them) and a release build (.build/release/sluice).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; secs=${2:-10}; conns=${3:-32}; streams=${4:-10}
shared=${SHARED:-../shared}
body=bench/infer-1row.json
port=18092
bin=.build/release/sluice
url="http://127.0.0.1:$port/v2/models/fraud/infer"
[[ -x $bin ]] || { echo "build first: swift build -c release --product sluice" >&2; exit 2; }
command -v h2load >/dev/null || { echo "h2load missing: scripts/ensure-deps.sh bench" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk missing: scripts/ensure-deps.sh bench" >&2; exit 2; }

cleanup() { [[ -n ${spid:-} ]] && kill "$spid" 2>/dev/null || true; }
trap cleanup EXIT

$bin serve --host 127.0.0.1 --port $port --models models --log-level warning & spid=$!
for _ in $(seq 1 1000); do curl -fs -o /dev/null "http://127.0.0.1:$port/v2/health/ready" && break; sleep 0.01; done
curl -fs --http2-prior-knowledge -X POST -H 'Content-Type: application/json' --data-binary @$body "$url" >/dev/null

h1() { wrk -t2 -c"$conns" -d"${secs}s" -s "$shared/bench/post.lua" "$url" -- "$body" | grep '^RESULT'; }
# h2load prints "finished in Xs, N req/s, ..." and "requests: ... M failed, E errored".
h2() {
  local out
  out=$(timeout $((secs + 30)) h2load -t2 -c"$conns" -m"$streams" -D"$secs" --warm-up-time=1 -d "$body" \
        -H 'content-type: application/json' "$url")
  local rps failed
  rps=$(sed -nE 's/^finished in .*, ([0-9.]+) req\/s.*/\1/p' <<<"$out")
  failed=$(sed -nE 's/^requests: .* ([0-9]+) failed, ([0-9]+) errored.*/\1 \2/p' <<<"$out")
  local non2xx
  non2xx=$(sed -nE 's/^status codes: [0-9]+ 2xx, ([0-9]+) 3xx, ([0-9]+) 4xx, ([0-9]+) 5xx/\1 \2 \3/p' <<<"$out" | awk '{print $1+$2+$3}')
  echo "RESULT rps=$rps failed_errored=${failed/ /+} non2xx=$non2xx"
}
h1 >/dev/null; h2 >/dev/null   # warm both
declare -a r1 r2
for ((i = 0; i < rounds; i++)); do
  a=$(h1); b=$(h2)
  echo "http/1.1 wrk   $a"; echo "h2c h2load -m$streams $b"
  [[ $a == *"non2xx=0 "* ]] || { echo "HTTP/1.1 answered non-2xx: $a" >&2; exit 1; }
  [[ $b == *"failed_errored=0+0 non2xx=0" ]] || { echo "HTTP/2 had failures: $b" >&2; exit 1; }
  r1+=("$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$a")"); r2+=("$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$b")")
done
python3 - "${r1[*]}" "${r2[*]}" <<'PY'
import statistics as st, sys
h1, h2 = ([float(x) for x in a.split()] for a in sys.argv[1:3])
ratios = [b / a for a, b in zip(h1, h2)]
print(f"SUMMARY req/s http/1.1: {' '.join(f'{x:.0f}' for x in h1)} (median {st.median(h1):.0f}); "
      f"h2c: {' '.join(f'{x:.0f}' for x in h2)} (median {st.median(h2):.0f})")
print(f"SUMMARY h2c/http1.1 ratio per round: {' '.join(f'{r:.2f}' for r in ratios)} "
      f"(median {st.median(ratios):.2f}, spread {min(ratios):.2f}-{max(ratios):.2f})")
PY
