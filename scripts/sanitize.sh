#!/usr/bin/env bash
# Builds every test with one sanitizer in its own scratch folder (.build-asan, .build-tsan), runs
# the whole suite (the end-to-end suites start real servers on loopback in the test process), then
# the tritonclient checks (HTTP, gRPC, gRPC errors) against the sanitized sluice binary. Any
# report fails the run.
#   scripts/sanitize.sh address|thread [swift test arguments, e.g. --filter SluiceServerTests]
# What each sanitizer found, the suppressions and the times: docs/sanitizers.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
supp="$PWD/scripts/sanitizers"
case "${1:-}" in
  address)
    scratch=.build-asan
    # LeakSanitizer (part of the toolchain's ASan runtime) checks the test process and the
    # sluice process at exit; lsan.supp lists what it must not report and why.
    export ASAN_OPTIONS="suppressions=$supp/asan.supp:detect_stack_use_after_return=1:detect_leaks=1"
    export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
    test_options=()
    ;;
  thread)
    scratch=.build-tsan
    # OpenBLAS starts a pool of its own threads at load time; the ONNX backend runs every product
    # on its caller's thread (openblas_set_num_threads(1)), so the pool only adds threads that
    # ThreadSanitizer must track. One thread starts none.
    export OPENBLAS_NUM_THREADS=1
    export TSAN_OPTIONS="suppressions=$supp/tsan.supp:halt_on_error=0:print_suppressions=0"
    # Two tests bound latency, not correctness: 8,000 pipelined requests then an answer within
    # a client's 10 s, and a canary judged on p99 ratios. A process 5-15x slower on a busy
    # machine misses them; the AddressSanitizer run keeps both.
    test_options=(--skip 'clientsThatResetWhileAnsweredDoNotTakeTheProcessDown|aHealthyCandidateIsPromotedThroughEveryStep')
    ;;
  *) echo "usage: $0 address|thread [swift test arguments]" >&2; exit 2 ;;
esac
sanitizer=$1
shift
start=$SECONDS
"$SWIFT" build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch"
built=$SECONDS
"$SWIFT" test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" "${test_options[@]}" "$@"
python3 scripts/check_tritonclient.py "$scratch/debug/sluice"
.venv-grpc/bin/python scripts/check_tritonclient_grpc.py "$scratch/debug/sluice"
.venv-grpc/bin/python scripts/check_grpc_errors.py "$scratch/debug/sluice"
echo "sanitize $sanitizer: build $((built - start)) s, tests $((SECONDS - built)) s"
