# The two commands of the README: `make run` serves the bundled models/ and config/,
# `make test` runs every test. Each first installs only what is missing.
SWIFT ?= swift

.PHONY: run test build bench fixtures clean

run:
	@scripts/ensure-deps.sh run
	$(SWIFT) build -c release --static-swift-stdlib --product sluice
	.build/release/sluice serve

build:
	$(SWIFT) build -c release --static-swift-stdlib --product sluice

test:
	@scripts/ensure-deps.sh test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	python3 scripts/check_tritonclient.py .build/debug/sluice

bench:
	@scripts/ensure-deps.sh bench
	$(SWIFT) build -c release --static-swift-stdlib --product sluice
	bench/http-infer.sh

clean:
	rm -rf .build
