#!/usr/bin/env bash
# What a loaded model costs in memory (issue #19: packed weights live once, not beside their
# constant): each server binary serves bench/compute_models.py's wide MLP (256-2048-2048-10,
# 4.7 M FP32 weights, 19 MB) from a temporary repository, and an empty repository, in
# alternating rounds; once it is ready, its VmRSS is read from /proc. Prints each round and the
# median of loaded − empty per binary, so two binaries (a baseline built from main and a
# change) compare side by side in one run.
#   bench/weights-memory.sh [--rounds N] [sluice-binary ...]   (default: .build/release/sluice)
# Needs python3 with numpy and onnx. No request is sent: workspaces are not counted.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3
if [ "${1:-}" = "--rounds" ]; then rounds=$2; shift 2; fi
binaries=("$@")
[ ${#binaries[@]} -gt 0 ] || binaries=(.build/release/sluice)
for b in "${binaries[@]}"; do [ -x "$b" ] || { echo "no executable $b" >&2; exit 1; }; done
work=$(mktemp -d)
server=
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
python3 - "$work" <<'PY'
import os, sys
sys.path.insert(0, "bench")
import compute_models
root = sys.argv[1]
os.makedirs(f"{root}/wide/wide_mlp/1")
os.makedirs(f"{root}/empty")
with open(f"{root}/wide/wide_mlp/1/model.onnx", "wb") as f:
    f.write(compute_models.MODELS["wide_mlp"]().SerializeToString())
with open(f"{root}/wide/wide_mlp/model.yaml", "w") as f:
    f.write("backend: onnx\n")
PY

# VmRSS in KiB of `binary` serving `repository`, once /v2/health/ready answers 200.
rss() {
    local binary=$1 repository=$2 port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    (cd "$work" && exec "$binary" serve --models "$repository" --host 127.0.0.1 --port "$port" --threads 1 \
        --poll-interval 0 --log-level error) &
    server=$!
    local tries=0
    until curl -sf -o /dev/null "http://127.0.0.1:$port/v2/health/ready"; do
        tries=$((tries + 1))
        if [ $tries -gt 300 ]; then echo "$binary did not get ready" >&2; exit 1; fi
        sleep 0.1
    done
    awk '/^VmRSS/ { print $2 }' "/proc/$server/status"
    kill "$server"
    wait "$server" 2>/dev/null || true
    server=
}

declare -A deltas
for round in $(seq "$rounds"); do
    for b in "${binaries[@]}"; do
        empty=$(rss "$b" empty)
        loaded=$(rss "$b" wide)
        echo "round $round  $b  empty ${empty} KiB  wide_mlp ${loaded} KiB  model $((loaded - empty)) KiB"
        deltas[$b]="${deltas[$b]:-} $((loaded - empty))"
    done
done
for b in "${binaries[@]}"; do
    median=$(echo "${deltas[$b]}" | tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    echo "median  $b  wide_mlp costs ${median} KiB resident"
done
