#!/usr/bin/env bash
# Runs the libFuzzer targets of Sources/SluiceFuzz (README "Fuzzing"), each for a bounded time.
#   scripts/fuzz.sh [--budget SECONDS] [--keep-going] [TARGET...]   every target when none is named
#   scripts/fuzz.sh --merge TARGET DIR...   adds the inputs of DIR... that reach new code to fuzz/corpus/TARGET
# The budget is per target (default $FUZZ_BUDGET, else 60 s). A run starts from the committed seeds
# (fuzz/corpus/<target>) and the past crashes (fuzz/regressions/<target>), and keeps what it
# learns in .build-fuzz/corpus/<target> for the next run. A crash, a trap, an input slower than
# 10 s or one needing more than 2 GB stops that target: the input is saved under
# .build-fuzz/artifacts/<target>/ and the script exits 1 once every target has run. After the fix,
# the input goes into fuzz/regressions/<target>/, which `make test` replays.
# --keep-going (long runs) records every crash and carries on until the budget is spent.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${FUZZ_BUDGET:-60}
keep_going=0
merge=0
targets=()
while (($#)); do
  case "$1" in
    --budget) budget=$2; shift 2 ;;
    --keep-going) keep_going=1; shift ;;
    --merge) merge=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
all=(http1 v2 v1 grpc-infer model-yaml routes-yaml xgboost lightgbm onnx)
((${#targets[@]})) || targets=("${all[@]}")

# Release code, as the server runs, with AddressSanitizer: Swift checks bounds and overflow
# itself, but the JSON reader and the binary codecs read through unsafe pointers, whose bounds
# only ASan checks in a release build. The two sanitizers go to swiftc as one flag: given as two
# (`--sanitize=fuzzer --sanitize=address`) the second replaces the first and no Swift code gets
# coverage counters. Its own scratch path: the instrumented objects would otherwise replace the
# ordinary build's.
scratch=.build-fuzz
swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
  --product sluice-fuzz --scratch-path "$scratch" 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]|__asan_extra_spill_area' || true
fuzzer="$scratch/release/sluice-fuzz"
[ -x "$fuzzer" ] || { echo "fuzz build failed" >&2; exit 1; }

# The Swift runtime's backtracer would catch the trap before libFuzzer saves the input. Leak
# checks are off: Swift's runtime caches live for the process and would be reported.
export SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0
common=(-rss_limit_mb=2048 -timeout=10 -detect_leaks=0 -print_final_stats=1)
max_len() {
  case "$1" in
    xgboost|lightgbm|onnx) echo 32768 ;;  # the model seeds are up to 11 KB
    *) echo 4096 ;;
  esac
}

if ((merge)); then
  target=${targets[0]}
  mkdir -p "fuzz/corpus/$target"
  SLUICE_FUZZ_TARGET=$target "$fuzzer" -merge=1 "${common[@]}" -max_len="$(max_len "$target")" \
    "fuzz/corpus/$target" "${targets[@]:1}"
  exit
fi

failed=()
summary=()
for target in "${targets[@]}"; do
  work="$scratch/corpus/$target"
  artifacts="$scratch/artifacts/$target/"
  mkdir -p "$work" "$artifacts" "fuzz/regressions/$target"
  log="$scratch/fuzz-$target.log"
  extra=()
  ((keep_going)) && extra=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  echo "== $target: ${budget}s"
  stamp="$scratch/fuzz-$target.start"
  touch "$stamp"
  status=0
  SLUICE_FUZZ_TARGET=$target "$fuzzer" "${common[@]}" "${extra[@]}" -max_len="$(max_len "$target")" \
    -max_total_time="$budget" -artifact_prefix="$artifacts" \
    "$work" "fuzz/corpus/$target" "fuzz/regressions/$target" >"$log" 2>&1 || status=$?
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
  rate=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 || true)
  found=$(find "$artifacts" -type f -newer "$stamp" | wc -l)
  summary+=("$(printf '%-12s %9s runs %6s exec/s  %-10s %s input(s) in %s' "$target" "${runs:-?}" "${rate:-?}" "${cov:-}" "$found" "$artifacts")")
  if ((status != 0)) || ((found > 0)); then
    failed+=("$target")
    grep -E 'ERROR|SUMMARY|Fatal error|Test unit written' "$log" | head -20 || true
    echo "   full log: $log"
  fi
done
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzzing found inputs that fail in: ${failed[*]} (see above; each fix adds its input to fuzz/regressions/<target>/)" >&2
  exit 1
fi
