#!/usr/bin/env bash
# HTTPS vs cleartext HTTP/1.1 on the same 1-row V2 JSON infer, one server with both listeners,
# interleaved A B A B: wrk keeps its connections alive, so this is the steady-state cost of TLS
# (record encryption), not of handshakes. Ratios from one run are what we quote (2 noisy cores).
#   bench/tls.sh [ROUNDS=3] [SECONDS=10] [CONNECTIONS=32]
# Needs wrk (make bench installs it), the openssl command line and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/interleave.sh
rounds=${1:-3}; secs=${2:-10}; conns=${3:-32}
shared=${SHARED:-../shared}
body=bench/infer-1row.json
port=18190; tport=18543
bin=.build/release/sluice
[[ -x $bin ]] || { echo "build first: swift build -c release --product sluice" >&2; exit 2; }
for tool in wrk openssl curl; do command -v $tool >/dev/null || { echo "$tool is missing (make bench)" >&2; exit 2; }; done

dir=$(mktemp -d)
cleanup() { [[ -n ${spid:-} ]] && kill "$spid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
printf 'tls: {port: %d, cert: %s, key: %s}\n' $tport "$dir/tls.crt" "$dir/tls.key" > "$dir/sluice.yaml"

$bin serve --config "$dir/sluice.yaml" --host 127.0.0.1 --port $port --models models --log-level warning & spid=$!
for _ in $(seq 1000); do curl -fsk -o /dev/null "https://127.0.0.1:$tport/v2/health/ready" && break; sleep 0.01; done
curl -fsk -X POST -H 'Content-Type: application/json' --data-binary @$body "https://127.0.0.1:$tport/v2/models/fraud/infer" >/dev/null

interleave http "http://127.0.0.1:$port" https "https://127.0.0.1:$tport"
