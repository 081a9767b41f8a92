# pingan: one image holding pingan-worker and pingan-produce, built on Debian 12
# with Debian's own libzmq (CURVE through libsodium), protobuf-c, libpq, libcsv, yajl
# and libmicrohttpd.
FROM debian:12 AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config protobuf-c-compiler libprotobuf-c-dev libzmq3-dev \
      libpq-dev libcsv-dev libyajl-dev uuid-dev libmicrohttpd-dev libcriterion-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPINGAN_TESTS=OFF \
    && cmake --build /build -j "$(nproc)" && cmake --install /build --prefix /usr/local

FROM debian:12
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libzmq5 libprotobuf-c1 libpq5 libcsv3 libyajl2 libuuid1 libmicrohttpd12 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/pingan-worker /usr/local/bin/pingan-produce /usr/local/bin/pingan-keygen /usr/local/bin/
COPY examples /usr/share/pingan/examples
USER nobody
EXPOSE 5555 9555
ENTRYPOINT ["/usr/local/bin/pingan-worker"]
