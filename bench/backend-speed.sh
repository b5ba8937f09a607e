#!/usr/bin/env bash
# Sluice's backends against xgboost, lightgbm and onnxruntime (from Python), and the tree models
# against the same models compiled to machine code (tl2cgen, lleaves: bench/compiled_trees.py),
# per batch of 1, 64 and 1,024 rows, one thread each, in one run: bench/backend_speed.py prints
# the tables.
#   bench/backend-speed.sh [--rounds N] [--scale F] [--no-onnx] [--only LABEL-PART]
# Needs python3 with numpy, xgboost, lightgbm and onnxruntime, and treelite, tl2cgen, lleaves and
# gcc for the compiled references (scripts/ensure-deps.sh bench installs them); without
# onnxruntime, or an ONNX backend, the ONNX rows are skipped with a message, and so is a compiled
# reference that is missing. The first run compiles the tree models (minutes for the 1,000-tree
# one) into .build/bench-trees/; later runs reuse them.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
swift build -c release --product sluice-micro 2>&1 | grep -E "error|warning" && exit 1
exec python3 bench/backend_speed.py "$@"
