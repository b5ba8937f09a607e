#!/usr/bin/env bash
# Instructions per HTTP/1.1 request (1-row V2 JSON infer, h2load --h1 -c4) counted by callgrind,
# for one or more builds: deterministic to about 1-3 %, where req/s on this busy 2-core machine
# moves by 15 % between runs. For "did this change make the HTTP/1.1 path heavier?".
#   bench/h1-instructions.sh BIN [BIN...]      (REQUESTS=2000 by default)
# Needs valgrind and h2load (scripts/ensure-deps.sh bench). Debug info is stripped from a copy
# of each binary first: this valgrind cannot read Swift's DWARF 5.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${REQUESTS:-2000}
body=$(realpath bench/infer-1row.json); models=$(realpath models)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
port=18131
for bin in "$@"; do
  copy="$work/$(basename "$bin")-$port"; strip -g -o "$copy" "$bin"
  (cd "$work" && exec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg.$port" \
     "$copy" serve --host 127.0.0.1 --port $port --models "$models" --log-level warning --threads 1 >/dev/null 2>&1) & pid=$!
  for _ in $(seq 1 600); do curl -fs -o /dev/null "http://127.0.0.1:$port/v2/health/ready" && break; sleep 0.1; done
  load() { h2load --h1 -n "$1" -c "$2" -d "$body" -H 'content-type: application/json' "http://127.0.0.1:$port/v2/models/fraud/infer"; }
  load 300 1 >/dev/null   # warm-up: the scheduler's cost estimate settles
  vpid=$(pgrep -f "callgrind-out-file=$work/cg.$port" | head -1)
  callgrind_control -i on "$vpid" >/dev/null 2>&1
  out=$(load "$n" 4)
  callgrind_control -i off "$vpid" >/dev/null 2>&1
  callgrind_control -d "$vpid" >/dev/null 2>&1
  kill "$vpid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  grep -q "$n succeeded, 0 failed" <<<"$out" || { echo "$bin: requests failed: $out" >&2; exit 1; }
  total=$(cat "$work"/cg.$port.* | awk '/^totals:/ {s += $2} END {print s}')
  echo "RESULT $bin instructions_per_request=$((total / n))"
  port=$((port + 1))
done
