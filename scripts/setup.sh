#!/usr/bin/env bash
# Installs what building, running and testing Stratus needs, when missing:
# the C libraries used through cgo, and Chromium plus ffmpeg for tests and
# benchmarks. Safe to run again; it installs nothing that is already there.
set -euo pipefail

# The process runtime starts studio games on a virtual display (xvfb),
# captures and drives it through X11 (libx11, libxext, libxtst, libxfixes)
# and takes their sound from a PulseAudio server of their own (pulseaudio,
# libpulse). Games that render with OpenGL or Vulkan use Mesa on the CPU
# where no GPU can (libgl1-mesa-dri, which also gives Xvfb its GLX, and
# mesa-vulkan-drivers' lavapipe); the edge asks each driver what it renders
# with glxinfo (mesa-utils) and vulkaninfo (vulkan-tools), and compiles the
# Vulkan present layer (title/process/vklayer) against libvulkan-dev and
# libxcb1-dev. Every game runs in a bubblewrap sandbox (bubblewrap). The
# checker decodes the streams it plays with libavcodec (libavcodec-dev).
want=(pkg-config gcc libx264-dev libyuv-dev libffmpeg-nvenc-dev libopus-dev libavcodec-dev
	xvfb libx11-dev libxext-dev libxtst-dev libxfixes-dev pulseaudio libpulse-dev
	libvulkan-dev libxcb1-dev libgl1-mesa-dri mesa-vulkan-drivers vulkan-tools mesa-utils bubblewrap)
if [ "${1:-}" = "--test" ]; then
	# glxgears (mesa-utils), vkcube (vulkan-tools) and x11-utils (xev) are
	# the third-party games the tests onboard (xdpyinfo, also in
	# x11-utils, tries a display with and without its cookie);
	# pulseaudio-utils plays their test tone; xauth reads back the cookie
	# files the runtime writes. The ledger's tests start a PostgreSQL
	# server of their own (postgresql-15). The impairment harness
	# (internal/netem) drops packets at random with nftables.
	want+=(chromium ffmpeg iproute2 nftables x11-utils pulseaudio-utils xauth postgresql-15)
fi

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# Only the server's programs are wanted: no cluster of the machine's own,
# started at install.
if [[ " ${missing[*]} " == *" postgresql-15 "* ]]; then
	$sudo mkdir -p /etc/postgresql-common
	echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
$sudo apt-get update -qq
# Keep that file, and any other configuration already there, without
# asking (dpkg's and ucf's prompts).
$sudo env DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1 apt-get install -y -qq --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
