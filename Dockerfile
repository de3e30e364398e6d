# One image with every Switchboard executable; the container's command picks the service.
# Build stage: Swift 6.3 on Debian bookworm, with librdkafka >= 2.1 rebuilt from Debian's source
# package exactly as scripts/bootstrap does on a developer machine.
FROM swift:6.3-bookworm AS build
WORKDIR /src
COPY scripts/bootstrap scripts/bootstrap
RUN SWITCHBOARD_BOOTSTRAP_MINIMAL=1 scripts/bootstrap
COPY . .
RUN swift build -c release --static-swift-stdlib \
    && mkdir /out && for b in sip-edge routing ivr recording billing api switchboard; do \
         cp "$(swift build -c release --show-bin-path)/$b" /out/; done \
    && cp /src/.local/build/librdkafka/*.deb /out/ 2>/dev/null || true

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 libopus0 ca-certificates espeak-ng sox \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/*.deb /tmp/debs/
RUN apt-get update && apt-get install -y --no-install-recommends /tmp/debs/librdkafka1_*.deb \
    && rm -rf /tmp/debs /var/lib/apt/lists/*
COPY --from=build /out/ /usr/local/bin/
RUN useradd --system --uid 10001 switchboard
USER switchboard
ENV SWITCHBOARD_HTTP_HOST=0.0.0.0 SWITCHBOARD_LOG_FORMAT=json
EXPOSE 8080-8085 5060/udp 5060/tcp 5061/tcp
CMD ["api"]
