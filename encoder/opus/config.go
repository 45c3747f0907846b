package opus

import (
	"errors"
	"fmt"
	"time"
)

// MaxPacket is the size libopus recommends for an output buffer. One Opus
// frame never exceeds 1275 bytes, but the recommended 4000 leaves room for
// every packet layout, so a buffer of this size never fails an Encode.
const MaxPacket = 4000

// Bitrate bounds. Below 6 kbit/s Opus has nothing usable for music; 510
// kbit/s is the most libopus will spend on a stereo stream.
const (
	MinBitrate = 6_000
	MaxBitrate = 510_000
)

// sampleRate is the only rate accepted for now: see the package comment.
const sampleRate = 48_000

// Config is what an Opus encoder is opened with.
type Config struct {
	// SampleRate of the PCM in Hz; only 48000 for now.
	SampleRate int
	// Channels is 1 (mono) or 2 (interleaved stereo, left first).
	Channels int
	// Bitrate is the target in bits per second, for all channels together.
	Bitrate int
	// FrameDuration is the audio in one packet: 2.5, 5, 10 or 20 ms.
	FrameDuration time.Duration
}

// DefaultConfig is the configuration for a game's audio track.
func DefaultConfig() Config {
	return Config{
		// Opus's native rate and WebRTC's Opus clock: no resampling.
		SampleRate: sampleRate,
		// Games mix in stereo, and browsers play Opus in stereo.
		Channels: 2,
		// Transparent for stereo music and effects with CELT, and still
		// small beside a video stream of several Mbit/s.
		Bitrate: 96_000,
		// Latency: each frame must be complete before it is encoded, so
		// its duration is delay; 10 ms halves WebRTC's usual 20 ms.
		FrameDuration: 10 * time.Millisecond,
	}
}

// Validate reports every problem with the config at once.
func (c Config) Validate() error {
	var errs []error
	if c.SampleRate != sampleRate {
		errs = append(errs, fmt.Errorf("sample rate %d: must be %d", c.SampleRate, sampleRate))
	}
	if c.Channels != 1 && c.Channels != 2 {
		errs = append(errs, fmt.Errorf("channels %d: must be 1 or 2", c.Channels))
	}
	if c.Bitrate < MinBitrate || c.Bitrate > MaxBitrate {
		errs = append(errs, fmt.Errorf("bitrate %d: must be %d..%d bit/s", c.Bitrate, MinBitrate, MaxBitrate))
	}
	switch c.FrameDuration {
	case 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond:
	default:
		errs = append(errs, fmt.Errorf("frame duration %v: must be 2.5ms, 5ms, 10ms or 20ms", c.FrameDuration))
	}
	return errors.Join(errs...)
}

// frameSamples is the number of samples per channel in one frame.
func (c Config) frameSamples() int {
	return int(int64(c.SampleRate) * int64(c.FrameDuration) / int64(time.Second))
}

func checkBitrate(bps int) error {
	if bps < MinBitrate || bps > MaxBitrate {
		return fmt.Errorf("opus: bitrate %d: must be %d..%d bit/s", bps, MinBitrate, MaxBitrate)
	}
	return nil
}
