# The two commands of the README: `make run` serves the bundled models/ and config/,
# `make test` runs every test, then each fuzzer briefly (`make fuzz` runs them longer) and
# every test again under AddressSanitizer.
# Each first installs only what is missing.
SWIFT ?= swift
# The Swift runtime linked statically: only the pages Sluice touches count in its RSS
# (27.7 MB idle instead of 33.6 MB with the shared Foundation/ICU/runtime; README "Performance").
# Not stripped, unlike the image's copy (Dockerfile): perf, callgrind (bench/h1-instructions.sh)
# and crash backtraces read its symbols and debug info.
RELEASE_BUILD = $(SWIFT) build -c release --static-swift-stdlib --product sluice

.PHONY: run test build bench fixtures clean sanitize sanitize-address sanitize-thread

run:
	@scripts/ensure-deps.sh run
	$(RELEASE_BUILD)
	.build/release/sluice serve

build:
	$(RELEASE_BUILD)

test:
	@scripts/ensure-deps.sh test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	.venv-manifests/bin/python scripts/check_manifests.py --sluice .build/debug/sluice
	python3 scripts/check_tritonclient.py .build/debug/sluice
	.venv-grpc/bin/python scripts/check_tritonclient_grpc.py .build/debug/sluice
	.venv-grpc/bin/python scripts/check_grpc_errors.py .build/debug/sluice
	python3 scripts/fleet_scenario.py .build/debug/sluice
	@if [ "$(TEST_FUZZ_BUDGET)" != 0 ]; then scripts/fuzz.sh --budget $(TEST_FUZZ_BUDGET); fi
	@if [ "$(TEST_SANITIZE)" != 0 ]; then SWIFT=$(SWIFT) scripts/sanitize.sh address; fi

# Seconds each fuzz target runs: `make fuzz` (FUZZ_BUDGET) and the short run at the end of
# `make test` (TEST_FUZZ_BUDGET; 0 skips it, e.g. while iterating on one test).
FUZZ_BUDGET ?= 60
TEST_FUZZ_BUDGET ?= 10
# `make test` ends with every test again under AddressSanitizer (TEST_SANITIZE=0 skips it);
# ThreadSanitizer, slower and with two latency tests skipped, runs in `make sanitize`.
TEST_SANITIZE ?= 1

.PHONY: fuzz
fuzz:
	@scripts/ensure-deps.sh test
	scripts/fuzz.sh --budget $(FUZZ_BUDGET)

# AddressSanitizer (with LeakSanitizer) and ThreadSanitizer builds of every test, each in its own
# scratch folder (.build-asan, .build-tsan); docs/sanitizers.md.
sanitize: sanitize-address sanitize-thread

sanitize-address sanitize-thread: sanitize-%:
	@scripts/ensure-deps.sh test
	SWIFT=$(SWIFT) scripts/sanitize.sh $*

bench:
	@scripts/ensure-deps.sh bench
	$(RELEASE_BUILD)
	bench/http-infer.sh

clean:
	rm -rf .build .build-asan .build-tsan .build-fuzz
