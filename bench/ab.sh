#!/usr/bin/env bash
# Two sluice binaries on the same cleartext 1-row V2 JSON infer, interleaved A B A B A B: the
# check that a change did not slow the HTTP/1.1 hot path (e.g. A = a release build of main,
# B = this branch). Ratios from one run are what we quote (2 noisy cores).
#   bench/ab.sh BINARY_A BINARY_B [ROUNDS=3] [SECONDS=10] [CONNECTIONS=32]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/interleave.sh
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
interleave A "http://127.0.0.1:$aport" B "http://127.0.0.1:$bport"
