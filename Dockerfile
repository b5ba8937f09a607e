# Multi-stage: build with Swift 6.3 on Debian 12, run on slim Debian with only the shared
# libraries the binary links (the Swift runtime is linked statically).
#   docker build -t sluice .
#   docker run --rm -p 8080:8080 sluice                         # bundled models/ and config/
#   docker run --rm -p 8080:8080 -v $PWD/models:/srv/models sluice
FROM swift:6.3-bookworm AS build
WORKDIR /src
# Headers for the system libraries: OpenSSL (TLS), zlib (gzip/deflate), nghttp2 (HTTP/2).
RUN apt-get update && apt-get install -y --no-install-recommends libssl-dev zlib1g-dev libnghttp2-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
# The manifest names every target, so their folders must all be present to build one product.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY bench ./bench
RUN swift build -c release --product sluice --static-swift-stdlib \
 && cp "$(swift build -c release --show-bin-path)/sluice" /usr/local/bin/sluice

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl libstdc++6 libssl3 zlib1g libnghttp2-14 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /srv --shell /usr/sbin/nologin sluice
COPY --from=build /usr/local/bin/sluice /usr/local/bin/sluice
WORKDIR /srv
COPY --chown=sluice:sluice models ./models
COPY --chown=sluice:sluice config ./config
USER sluice
EXPOSE 8080 8443
HEALTHCHECK --interval=10s --timeout=2s --start-period=5s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/v2/health/ready || exit 1
ENTRYPOINT ["/usr/local/bin/sluice", "serve"]
