# Multi-stage: build with Swift 6.3 on Debian 12, run on slim Debian with only the shared
# libraries the binary links (the Swift runtime is linked statically). README "Docker".
#   docker build -t sluice .
#   docker run --rm -p 8080:8080 sluice                                   # the demo: bundled models/ and routes
#   docker run --rm -p 8080:8080 -v $PWD/models:/srv/models:ro sluice     # your repository, no demo routes
#   docker run --rm -p 8080:8080 -v $PWD/churn:/mnt/models:ro sluice --model-name churn --model-dir /mnt/models
FROM swift:6.3-bookworm AS build
WORKDIR /src
# Headers for the system libraries: OpenSSL (TLS), zlib (gzip/deflate), nghttp2 (HTTP/2),
# OpenBLAS (the ONNX backend's Gemm, MatMul and Conv); binutils for strip.
RUN apt-get update && apt-get install -y --no-install-recommends libssl-dev zlib1g-dev libnghttp2-dev \
    libopenblas-dev pkg-config binutils \
 && rm -rf /var/lib/apt/lists/*
# The dependencies at exactly the versions Package.resolved pins (the ones the tests ran with):
# --force-resolved-versions fails instead of resolving anew when the file is missing or does not
# match Package.swift. A layer of its own, so editing a source does not fetch them again.
COPY Package.swift Package.resolved ./
RUN swift package resolve --force-resolved-versions
# The manifest names every target, so their folders must all be present to build one product.
COPY Sources ./Sources
COPY Tests ./Tests
COPY bench ./bench
# Stripped of symbols and debug info: 103 MB → 66.6 MB (Swift 6.3.1; README "Docker"). The image
# has no swift-backtrace to symbolicate a crash with anyway; for a debuggable binary, copy
# .build/release/sluice out of this stage before the strip.
RUN swift build -c release --product sluice --static-swift-stdlib --force-resolved-versions \
 && strip -o /usr/local/bin/sluice "$(swift build -c release --show-bin-path)/sluice"

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl libstdc++6 libssl3 zlib1g libnghttp2-14 \
    libopenblas0 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /srv --shell /usr/sbin/nologin sluice
COPY --from=build /usr/local/bin/sluice /usr/local/bin/sluice
COPY LICENSE NOTICE /usr/share/doc/sluice/
WORKDIR /srv
COPY --chown=sluice:sluice models ./models
COPY --chown=sluice:sluice config ./config
# The demo's routes (fraud-ab over the bundled fraud model) move into the bundled repository, and
# config/routes.yaml, which Sluice reads when it exists, becomes a link to them: a repository
# mounted at /srv/models hides them, the link then points nowhere, and no route applies (the
# scan passes over a file beside the model folders; single-model mode never reads the link).
RUN mv config/routes.yaml models/demo-routes.yaml && ln -s ../models/demo-routes.yaml config/routes.yaml
USER sluice
EXPOSE 8080 8443
HEALTHCHECK --interval=10s --timeout=2s --start-period=5s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/v2/health/ready || exit 1
ENTRYPOINT ["/usr/local/bin/sluice", "serve"]
