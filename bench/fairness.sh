#!/usr/bin/env bash
# Loop fairness under hostile clients: a fresh client's latency while 4 attackers run, in two
# scenarios — 4 HTTP/1.1 clients pipelining GETs as fast as the server answers them (reading
# every answer), then 2 h2c and 2 HTTP/2-over-TLS clients flooding WINDOW_UPDATE frames, each
# connecting again whenever the server closes it. The probe opens a new connection for each
# GET /v2/health/ready, one every 10 ms; a probe fails without a 200 within 2 s.
# Goal (issue #14): p99 under 50 ms and no failed probe, in both scenarios.
#   bench/fairness.sh [SECONDS=10]      BIN=… to measure another build
# Needs python3, the openssl command line and a release build (.build/release/sluice).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
port=18290; tport=18643
bin=${BIN:-.build/release/sluice}
[[ -x $bin ]] || { echo "build first: swift build -c release --static-swift-stdlib --product sluice" >&2; exit 2; }
for tool in python3 openssl curl; do command -v $tool >/dev/null || { echo "$tool is missing" >&2; exit 2; }; done

source bench/tls-server.sh
trap 'jobs -p | xargs -r kill 2>/dev/null; stop_tls_server' EXIT
start_tls_server
curl -fs -o /dev/null "http://127.0.0.1:$port/v2/health/ready"

attacker() { timeout $((secs + 10)) python3 bench/fairness.py "$1" 127.0.0.1 "$2" "$secs" >"$dir/attack.$3" 2>&1 & }
# Runs the attackers given as MODE:PORT, probes while they run, prints the probe's line.
scenario() {
  local name=$1 i=0 spec out
  shift
  for spec in "$@"; do attacker "${spec%%:*}" "${spec##*:}" $((i++)); done
  sleep 0.5   # let the attackers reach full speed
  out=$(python3 bench/fairness.py probe 127.0.0.1 $port $((secs - 1)) /v2/health/ready)
  wait $(jobs -p | grep -v "^$spid\$") 2>/dev/null || true
  kill -0 "$spid" 2>/dev/null || { echo "the server died during $name" >&2; exit 1; }
  echo "$name $out attackers: $(cat "$dir"/attack.* | tr '\n' ' ')"
  rm -f "$dir"/attack.*
  echo "$out" >"$dir/result.$name"
}
scenario pipelining pipeline:$port pipeline:$port pipeline:$port pipeline:$port
scenario window-update-flood h2c-wu:$port h2c-wu:$port h2-tls-wu:$tport h2-tls-wu:$tport
python3 - "$dir"/result.* <<'PY'
import re, sys
ok = True
for path in sys.argv[1:]:
    line = open(path).read()
    v = dict(re.findall(r"(\w+)=([\w.]+)", line))
    met = v["failed"] == "0" and float(v["p99_ms"]) < 50
    ok &= met
    print(f"SUMMARY {path.rsplit('.', 1)[1]}: fresh client p50 {v['p50_ms']} ms, p99 {v['p99_ms']} ms, "
          f"failed {v['failed']} of {v['n']} ({'goal met' if met else 'goal missed'})")
print(f"SUMMARY goal p99 < 50 ms and no failed probe: {'met' if ok else 'missed'}")
PY
