// Package h264dec decodes the H.264 stream Stratus sends, with
// libavcodec, for the checker node: it plays sessions through the real
// player path and measures delivered frames and reads pixels from them,
// so it needs the pictures a browser would show, not just the bitstream.
//
// Every setting serves one access unit in, its picture out at once:
//
//   - AV_CODEC_FLAG_LOW_DELAY and slice threads only: frame threading
//     would hold a picture per extra thread, so a frame would leave the
//     decoder access units after it arrived and the checker's timing
//     would be off by as much.
//   - one thread by default: the checker decodes many streams at once, so
//     threads within a stream only compete with the other streams.
//
// The package keeps no process-wide state: libavcodec (FFmpeg 5) registers
// its codecs itself, and each decoder shifts its own log lines to debug
// level rather than installing a global av_log callback, since every
// problem also reaches the caller as an error.
//
// Input is Annex-B, one access unit per Decode: what the edge's encoders
// emit and what Pion's codecs.H264Packet gives when it depacketizes RTP.
// Output is encoder.I420, the picture type the encoders take, copied out
// of libavcodec into Go memory that the decoder reuses; see Frame for its
// lifetime. Damage is reported, never hidden: see Decode.
//
// The package needs cgo and libavcodec (pkg-config names libavcodec and
// libavutil). Built without cgo it still compiles, but New returns an
// error wrapping encoder.ErrUnavailable and Available reports false.
package h264dec
