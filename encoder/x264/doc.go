// Package x264 is the software H.264 encoder: encoder.Video on top of
// libx264, tuned for an interactive game stream rather than for files.
//
// Every setting serves latency and browser compatibility:
//
//   - preset ultrafast, tune zerolatency: no lookahead and no frame
//     threading, so each Encode returns the picture it was given, never an
//     older one. Threads split the picture into slices instead; all slices
//     of one picture are returned together as one access unit, because Pion
//     wants one access unit per sample and Chrome shows only keyframes when a
//     picture is split over several samples.
//   - baseline profile, no B-frames: the one profile every WebRTC browser,
//     Safari included, decodes in hardware and software.
//   - average bitrate capped by a VBV of about one frame at the target
//     rate: the size of a picture stays close to what the network can carry
//     in one frame interval, which keeps queueing delay out of the path.
//   - infinite GOP, no scene-cut keyframes: an IDR is costly (several times
//     a P picture, squeezed through a one-frame VBV), so it is sent only when
//     a player asks for one (PLI or FIR), through ForceIDR.
//   - no periodic intra refresh: x264 can replace IDRs with a sweeping
//     column of intra blocks, but Chrome needs a real IDR to start decoding
//     or to recover from loss that NACK could not repair, so refresh would
//     cost quality on every picture without sparing a single IDR.
//   - Annex-B with SPS and PPS repeated before every IDR, so a player that
//     joins or recovers needs nothing but that access unit.
//
// The package needs cgo and libx264 (pkg-config name x264). Built without
// cgo it still compiles, so the rest of the edge builds everywhere, but New
// returns an error wrapping encoder.ErrUnavailable and Available reports
// false; the edge then offers no software encoder instead of failing to
// build.
package x264
