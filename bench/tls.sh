#!/usr/bin/env bash
# HTTPS vs cleartext HTTP/1.1 on the same 1-row V2 JSON infer, one server with both listeners,
# interleaved A B A B: wrk keeps its connections alive, so this is the steady-state cost of TLS
# (record encryption), not of handshakes. Ratios from one run are what we quote (2 noisy cores).
#   bench/tls.sh [ROUNDS=3] [SECONDS=10] [CONNECTIONS=32]
# Needs wrk (make bench installs it), the openssl command line and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/interleave.sh
source bench/tls-server.sh
rounds=${1:-3}; secs=${2:-10}; conns=${3:-32}
shared=${SHARED:-../shared}
body=bench/infer-1row.json
port=18190; tport=18543
bin=.build/release/sluice
[[ -x $bin ]] || { echo "build first: swift build -c release --product sluice" >&2; exit 2; }
for tool in wrk openssl curl; do command -v $tool >/dev/null || { echo "$tool is missing (make bench)" >&2; exit 2; }; done

trap stop_tls_server EXIT
start_tls_server
curl -fsk -X POST -H 'Content-Type: application/json' --data-binary @$body "https://127.0.0.1:$tport/v2/models/fraud/infer" >/dev/null

interleave http "http://127.0.0.1:$port" https "https://127.0.0.1:$tport"
