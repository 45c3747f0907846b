# Builds and runs the same server as `make run`.
#   docker build -t stratus .
#   docker run --rm -p 8080:8080 -p 3478:3478/udp -p 8443:8443/tcp stratus
# Behind Docker's port mapping players must be told the host's address:
#   docker run ... -e STRATUS_PUBLIC_IP=<host ip> stratus

FROM golang:1.26-bookworm AS build
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
        pkg-config libx264-dev libyuv-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -o /out/stratus ./cmd/stratus

FROM debian:bookworm-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
        libx264-164 libyuv0 ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 stratus
COPY --from=build /out/stratus /usr/local/bin/stratus
USER stratus
EXPOSE 8080/tcp 3478/udp 8443/tcp
ENTRYPOINT ["stratus", "serve", "-addr", "0.0.0.0:8080", "-media-ip", "0.0.0.0", "-udp-port", "3478", "-tcp-port", "8443"]
