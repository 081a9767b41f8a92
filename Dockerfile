# pingan: one image holding pingan-worker, pingan-produce, pingan-keygen and
# pingan-report, built on Debian 12
# with Debian's own libzmq (CURVE through libsodium), protobuf-c, libpq, libcsv, yajl
# and libmicrohttpd.
# What the programs link against at run time, for the runtime and the tests stage.
ARG RUNTIME_PACKAGES="libzmq5 libprotobuf-c1 libpq5 libcsv3 libyajl2 libuuid1 libmicrohttpd12"
FROM debian:12 AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config protobuf-c-compiler libprotobuf-c-dev libzmq3-dev \
      libpq-dev libcsv-dev libyajl-dev uuid-dev libmicrohttpd-dev libcriterion-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPINGAN_TESTS=OFF \
    && cmake --build /build -j "$(nproc)" && cmake --install /build --prefix /usr/local

# The compose `tests` service (`--target tests`): the runtime, psql, pingan-report and
# scripts/topology-check.sh, which it runs against postgres, migrate and the workers.
# Not the default target: that is the last stage, the runtime image.
FROM debian:12 AS tests
ARG RUNTIME_PACKAGES
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      $RUNTIME_PACKAGES postgresql-client \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/pingan-produce /usr/local/bin/pingan-report /usr/local/bin/
COPY scripts/topology-check.sh /usr/local/bin/pingan-topology-check
COPY examples /usr/share/pingan/examples
USER nobody
ENTRYPOINT ["/usr/local/bin/pingan-topology-check"]

FROM debian:12
ARG RUNTIME_PACKAGES
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      $RUNTIME_PACKAGES \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/pingan-worker /usr/local/bin/pingan-produce /usr/local/bin/pingan-keygen /usr/local/bin/pingan-report /usr/local/bin/
COPY examples /usr/share/pingan/examples
USER nobody
EXPOSE 5555 9555
ENTRYPOINT ["/usr/local/bin/pingan-worker"]
