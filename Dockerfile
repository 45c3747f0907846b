# Builds and runs the same server as `make run`.
#   docker build -t stratus .
#   docker run --rm -p 8080:8080 -p 3478:3478/udp -p 8443:8443/tcp -p 3479:3479/udp -p 3479:3479/tcp -p 49160-49200:49160-49200/udp stratus
# Behind Docker's port mapping players must be told the host's address:
#   docker run ... -e STRATUS_PUBLIC_IP=<host ip> stratus
# Studio games that are programs are installed under /titles, one directory
# per title id (mount them there: -v /srv/stratus/titles:/titles:ro). Each
# runs in a bubblewrap sandbox, which needs user namespaces: Docker's default
# seccomp and AppArmor profiles refuse them, so run with
# --security-opt seccomp=unconfined --security-opt apparmor=unconfined, or
# the edge refuses studio games (-unsafe-no-sandbox runs them unconfined).
#
# On NVIDIA GPUs with an NVENC engine, build the cuda target and run it with
# the NVIDIA Container Toolkit, which mounts the host driver's libraries
# (libcuda, libnvidia-encode, libnvidia-ml) into the container:
#   docker build --target cuda -t stratus:cuda .
#   docker run --rm --gpus all -p 8080:8080 -p 3478:3478/udp -p 8443:8443/tcp -p 3479:3479/udp -p 3479:3479/tcp -p 49160-49200:49160-49200/udp stratus:cuda
# It is the same binary: NVIDIA is loaded at run time, never linked, so
# without GPUs it encodes with x264. BASE swaps the runtime's OS image, for
# example for an NVIDIA CUDA image; it must ship libx264-164, libyuv0 and
# libavcodec59 (the checker's decoder, linked) and a glibc at least as new
# as Debian 12's. Ubuntu 24.04 ships libavcodec60 instead, so a CUDA image
# on it needs AVCODEC=libavcodec60 and a binary built against that version.

ARG BASE=debian:bookworm-slim
ARG AVCODEC=libavcodec59

FROM golang:1.26-bookworm AS build
# libavcodec-dev is for the checker's decoder (encoder/h264dec), which the
# binary links: the runtime's libavcodec must be this stage's version.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
        pkg-config libx264-dev libyuv-dev libffmpeg-nvenc-dev libopus-dev libavcodec-dev \
        libx11-dev libxext-dev libxtst-dev libxfixes-dev libpulse-dev \
        libvulkan-dev libxcb1-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# go-nvml wraps deprecated NVML calls; their warnings are noise.
RUN CGO_ENABLED=1 CGO_CFLAGS="-O2 -g -Wno-deprecated-declarations" go build -trimpath -o /out/stratus ./cmd/stratus \
    && /out/stratus vklayer /out/vklayer

FROM ${BASE} AS runtime
ARG AVCODEC
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
        libx264-164 libyuv0 libopus0 ${AVCODEC} ca-certificates \
        libx11-6 libxext6 libxtst6 libxfixes3 libpulse0 xvfb pulseaudio \
        libgl1-mesa-dri libglx-mesa0 libvulkan1 mesa-vulkan-drivers mesa-utils vulkan-tools libxcb1 bubblewrap \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 stratus && mkdir -p /titles
COPY --from=build /out/stratus /usr/local/bin/stratus
COPY --from=build /out/vklayer /usr/local/bin/vklayer
USER stratus
EXPOSE 8080/tcp 3478/udp 8443/tcp 3479/udp 3479/tcp 49160-49200/udp
ENTRYPOINT ["stratus", "serve", "-addr", "0.0.0.0:8080", "-media-ip", "0.0.0.0", "-udp-port", "3478", "-tcp-port", "8443", \
            "-turn", "0.0.0.0:3479", "-turn-relay-ports", "49160-49200", \
            "-titles-dir", "/titles", "-run-dir", "/tmp/stratus"]

# The GPU variant. The toolkit mounts only the driver libraries these
# capabilities name: "video" brings libnvidia-encode (without it NVENC
# reports its encoder library missing), "utility" NVML and nvidia-smi,
# "compute" libcuda, "graphics" the GLX and Vulkan libraries studio games
# render with on the GPU. CUDA must number GPUs as NVML does, because the edge
# places sessions by NVML's index.
FROM runtime AS cuda
ENV NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,video,utility,graphics \
    CUDA_DEVICE_ORDER=PCI_BUS_ID

# The default target, last so that a plain `docker build` builds it.
FROM runtime
