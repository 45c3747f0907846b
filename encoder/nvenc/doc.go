// Package nvenc is the hardware H.264 encoder: encoder.Video on top of
// NVIDIA's NVENC engine, tuned for an interactive game stream.
//
// # Loading the driver
//
// The package reaches the driver through the nv-codec-headers loader
// (Debian libffmpeg-nvenc-dev, pkg-config ffnvcodec, SDK 11.1): at run
// time it dlopens libcuda.so.1 and libnvidia-encode.so.1. Nothing NVIDIA is
// linked, so one binary starts everywhere and Probe tells why a machine
// cannot encode: no driver, a driver but no GPU, a GPU without an NVENC
// engine (the data-centre H100 and H200 have none; RTX, L4 and L40S do),
// a driver older than 470.57.02, or no libnvidia-encode (in a container,
// the "video" driver capability is missing). All of these wrap
// encoder.ErrUnavailable.
//
// Each encoder loads its own handle on the libraries (the driver counts
// references) and uses the primary CUDA context of its GPU, Config.GPU,
// for its whole life; every session on a GPU shares that context.
//
// # The recipe
//
// Every setting serves latency, as in encoder/x264:
//
//   - preset P1 with tuning ULTRA_LOW_LATENCY, through
//     nvEncGetEncodePresetConfigEx: the fastest preset, and rate control
//     that keeps each picture near its share of the bitrate.
//   - baseline profile, no B-frames (frameIntervalP 1), zero reorder
//     delay: the profile every WebRTC browser decodes, and each Encode
//     returns the picture it was given.
//   - CBR with a VBV of one frame (bitrate/fps bits, initial delay the
//     same): a picture crosses a link running at the target rate in about
//     one frame interval, so no queue builds up behind a large one.
//   - infinite GOP and IDR period: an IDR costs several P pictures, so one
//     is sent only when a player asks (ForceIDR, answering PLI or FIR),
//     with SPS and PPS, which repeatSPSPPS also puts before every IDR.
//   - intra refresh every 2 s, each wave spread over a quarter second
//     (NVIDIA's low-latency recipe; encoder/x264 leaves refresh off): a
//     corruption whose PLI got lost heals without a round trip, for the
//     price of extra intra blocks in the pictures of each wave. It never
//     replaces the IDR a player asks for, which Chrome needs.
//   - one slice per picture, synchronous mode, no lookahead: one access
//     unit per Encode, ready when Encode returns.
//   - bitrate changes through nvEncReconfigureEncoder, without resetting
//     the encoder or forcing an IDR.
//
// The settings are decided in Go (params.go) and only copied into the
// NVENC structs by C, so tests check the recipe without a GPU.
//
// # Failures and the fallback contract
//
// New and Probe fail with errors wrapping encoder.ErrUnavailable when the
// machine, driver or GPU cannot encode; the edge then encodes with x264.
// During a stream, an Encode error wrapping ErrSessionLost means the
// session is gone (GPU lost or reset, out of memory, encoder failing for a
// second of pictures): the caller closes this encoder and continues with
// x264 from an IDR. Other Encode errors concern one picture. NVENC status
// codes appear in errors by their header names (NV_ENC_ERR_OUT_OF_MEMORY,
// ...), through *StatusError.
//
// # Input, and the zero-copy plan
//
// Encode copies each I420 picture into a driver-allocated NV12 buffer in
// system memory (nvEncCreateInputBuffer / nvEncLockInputBuffer), which the
// driver uploads. A title that renders on the GPU could skip both copies:
// the input goes through an internal inputSource, and a CUDA or OpenGL
// source would register the title's surface with nvEncRegisterResource and
// map it per picture instead (see inputSource in input.go).
//
// Built without cgo the package still compiles, so the rest of the edge
// builds everywhere, but New and Probe return errors wrapping
// encoder.ErrUnavailable.
package nvenc
