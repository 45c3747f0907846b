// Package opus is the audio encoder for the game's WebRTC audio track: PCM
// from the game in, one Opus packet per frame out, tuned for latency.
//
// Every setting serves interactivity and the browser:
//
//   - 48 kHz: Opus always runs at 48 kHz internally and WebRTC's Opus RTP
//     clock is 48 kHz whatever the source, so feeding it 48 kHz needs no
//     resampler in the edge and none in the encoder.
//   - 10 ms frames: a frame cannot be encoded before all of it has been
//     captured, so the frame duration adds straight to the mouth-to-ear
//     delay. 20 ms (the WebRTC default) saves a little header overhead but
//     puts audio a further 10 ms behind the picture; 10 ms is what the
//     page's SDP asks for (minptime=10) and keeps the packet rate at
//     100/s. 2.5 and 5 ms are allowed for experiments; longer frames are
//     not, since they only add delay.
//   - OPUS_APPLICATION_RESTRICTED_LOWDELAY: CELT only, no SILK and no mode
//     switching, which removes SILK's extra look-ahead. The algorithmic
//     delay is the 2.5 ms CELT look-ahead plus the frame, 12.5 ms at 10 ms
//     frames, against 16.5 ms in the other modes. Game audio is music and
//     effects rather than speech, which CELT codes well anyway.
//   - no in-band FEC: LBRR, Opus's in-band redundancy, is produced by the
//     SILK layer only, so in CELT-only mode it would do nothing; a lost
//     packet is concealed by the browser's packet loss concealment.
//   - no DTX: the packet cadence stays one per frame, so the browser's
//     jitter buffer sees a steady stream and sound that resumes after a
//     quiet stretch is not clipped while it adapts. Silence in VBR costs 3
//     bytes a packet.
//   - complexity 5, not libopus's default 10: an edge runs many sessions
//     beside their video encoders, and at 96 kbit/s the higher settings
//     buy little that a player would hear. One stereo stream then costs
//     well under 1 % of a core (BenchmarkEncode: about 60 µs a frame).
//
// # Feeding Pion
//
// The stream will create a webrtc.TrackLocalStaticSample with the Opus
// codec (clock rate 48000, 2 channels, as registered in stream/media.go)
// and, every frame, call
//
//	n, err := enc.Encode(pcm, buf)
//	track.WriteSample(media.Sample{Data: buf[:n], Duration: 10 * time.Millisecond})
//
// one packet per sample: Pion's Opus payloader puts each packet in one RTP
// packet and advances the RTP timestamp by Duration at 48 kHz. buf must not
// be reused until WriteSample returns, which copies it into the RTP packet.
//
// The package needs cgo and libopus (pkg-config name opus). Built without
// cgo it still compiles, so the rest of the edge builds everywhere, but New
// returns an error wrapping encoder.ErrUnavailable.
package opus
