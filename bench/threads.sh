#!/usr/bin/env bash
# Intra-op threads: one large call on 1 and 2 threads, Sluice (threads_per_inference's slices)
# against onnxruntime (intra_op_num_threads 1 and its default) and xgboost (nthread 1 and its
# default), in one run with rounds: bench/threads.py prints the table.
#   bench/threads.sh [--rounds N] [--threads N] [--scale F] [--only LABEL-PART]
# Needs python3 with numpy, onnx, onnxruntime and xgboost (scripts/ensure-deps.sh bench).
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
swift build -c release --product sluice-micro 2>&1 | grep -E "error|warning" && exit 1
exec python3 bench/threads.py "$@"
