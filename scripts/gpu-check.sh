#!/usr/bin/env bash
# Checks a machine with an NVIDIA GPU before it becomes an edge: builds
# Stratus (installing the build dependencies through scripts/setup.sh),
# lists the GPUs as the edge sees them (`stratus gpus`), probes NVENC and
# encodes a short stream with it (the encoder/nvenc tests), and measures
# 300 frames of 1920x1080 at 60 fps on every GPU with an encoder engine
# (benchmarks/nvenc: ms per frame, p50 and p99), then renders an OpenGL
# and a Vulkan title (glxgears, vkcube) through the GPU display runtime on
# the GPU placement picks, printing the renderer each session reports, the
# frames per second reaching its display and the capture cost per frame
# (benchmarks/render).
#
#   scripts/gpu-check.sh               build here, then check
#   scripts/gpu-check.sh --build-only  only build bin/stratus, bin/nvenc-bench,
#                                      bin/nvenc.test and bin/render-bench, to
#                                      copy elsewhere
#   scripts/gpu-check.sh --prebuilt    check with those binaries, without Go
#
# A GPU without an encoder engine (H100, H200, A100) is reported plainly and
# is not a failure: such an edge encodes with x264. The script exits non-zero
# only on real failures: a build that fails, a program that crashes, an NVENC
# error on a GPU that has the engine, a lost GPU. It takes well under five
# minutes (most of it the first build).
set -uo pipefail
cd "$(dirname "$0")/.."

mode=check
case "${1:-}" in
"") ;;
--build-only) mode=build ;;
--prebuilt) mode=prebuilt ;;
*)
	echo "usage: $0 [--build-only | --prebuilt]" >&2
	exit 2
	;;
esac

export CGO_ENABLED=1
# go-nvml wraps deprecated NVML calls; their warnings are noise.
export CGO_CFLAGS="${CGO_CFLAGS:--O2 -g -Wno-deprecated-declarations}"
export PATH="$PATH:/usr/local/go/bin"
# The edge places sessions by NVML's GPU index; CUDA must count the same way.
export CUDA_DEVICE_ORDER="${CUDA_DEVICE_ORDER:-PCI_BUS_ID}"

failed=()
step() { printf '\n== %s\n' "$*"; }

# run NAME CMD...: runs a step with a time limit; a non-zero exit (a crash
# included) is a failure.
run() {
	local name=$1
	shift
	local rc=0
	timeout 150 "$@" || rc=$?
	case $rc in
	0) ;;
	124) echo "gpu-check: $name: timed out" >&2 ; failed+=("$name (timed out)") ;;
	*) echo "gpu-check: $name: exit status $rc" >&2 ; failed+=("$name (exit $rc)") ;;
	esac
}

build() {
	step "build"
	if ! command -v go >/dev/null; then
		echo "gpu-check: no Go toolchain (Go 1.26): install it, or build elsewhere with --build-only and run --prebuilt here" >&2
		exit 1
	fi
	scripts/setup.sh || { echo "gpu-check: installing the build dependencies failed" >&2; exit 1; }
	mkdir -p bin
	go build -o bin/stratus ./cmd/stratus &&
		go build -o bin/nvenc-bench ./benchmarks/nvenc &&
		go test -c -o bin/nvenc.test ./encoder/nvenc &&
		go build -o bin/render-bench ./benchmarks/render || { echo "gpu-check: build failed" >&2; exit 1; }
	echo "built bin/stratus, bin/nvenc-bench, bin/nvenc.test, bin/render-bench"
}

case $mode in
build)
	build
	exit 0
	;;
check) build ;;
prebuilt)
	for b in bin/stratus bin/nvenc-bench bin/nvenc.test bin/render-bench; do
		[ -x "$b" ] || { echo "gpu-check: $b missing: build it with --build-only" >&2; exit 1; }
	done
	;;
esac

step "driver"
if command -v nvidia-smi >/dev/null; then
	nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader || true
else
	echo "nvidia-smi not found"
fi

step "stratus gpus"
run "stratus gpus" bin/stratus gpus

step "NVENC probe and stream (encoder/nvenc tests; they skip without NVENC)"
# TestProbeExplains passes everywhere with the reason NVENC is or is not
# there; the others encode and parse a real stream where it is.
run "encoder/nvenc tests" bin/nvenc.test -test.run '^(TestProbeExplains|TestEncodeStream|TestForceIDR|TestSetBitrate)$' -test.v -test.timeout 120s

step "NVENC benchmark: 300 frames, 1920x1080 at 60 fps, on each GPU"
run "nvenc benchmark" bin/nvenc-bench -frames 300 -width 1920 -height 1080 -fps 60

step "GPU display runtime: an OpenGL and a Vulkan title at 1280x720 (benchmarks/render)"
# With NVIDIA GPUs, both titles must render on one (-need-gpu); the probe
# above the table says what each driver renders, or why not.
need=()
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
	need=(-need-gpu)
fi
run "render benchmark" bin/render-bench -seconds 10 "${need[@]}"

echo
if [ ${#failed[@]} -gt 0 ]; then
	echo "gpu-check: FAILED: ${failed[*]}"
	exit 1
fi
echo "gpu-check: OK"
