//go:build cgo

package opus

/*
#cgo pkg-config: opus
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"
)

// complexity trades CPU for quality (0..10); see the package comment.
const complexity = 5

// Encoder encodes PCM frames into Opus packets. All methods may be called
// from any goroutine: a mutex orders them, so the congestion controller can
// call SetBitrate while the audio loop encodes. Encode holds it for one
// frame, tens of microseconds.
type Encoder struct {
	mu      sync.Mutex
	enc     *C.OpusEncoder
	cfg     Config
	samples int // per channel per frame
}

// New opens an encoder in OPUS_APPLICATION_RESTRICTED_LOWDELAY mode with
// cfg's bitrate, complexity 5, and in-band FEC and DTX off.
func New(cfg Config) (*Encoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("opus: invalid config: %w", err)
	}
	var rc C.int
	enc := C.opus_encoder_create(C.opus_int32(cfg.SampleRate), C.int(cfg.Channels),
		C.OPUS_APPLICATION_RESTRICTED_LOWDELAY, &rc)
	if rc != C.OPUS_OK || enc == nil {
		return nil, fmt.Errorf("opus: encoder create: %s", strerror(rc))
	}
	e := &Encoder{enc: enc, cfg: cfg, samples: cfg.frameSamples()}
	ctls := []struct {
		name string
		rc   C.int
	}{
		{"bitrate", C.sto_set_bitrate(enc, C.opus_int32(cfg.Bitrate))},
		{"inband FEC", C.sto_set_inband_fec(enc, 0)},
		{"complexity", C.sto_set_complexity(enc, complexity)},
		{"DTX", C.sto_set_dtx(enc, 0)},
	}
	for _, c := range ctls {
		if c.rc != C.OPUS_OK {
			e.Close()
			return nil, fmt.Errorf("opus: set %s: %s", c.name, strerror(c.rc))
		}
	}
	return e, nil
}

// FrameSamples is the number of samples per channel in one frame (480 at
// 10 ms); Encode takes FrameSamples()*Channels interleaved samples.
func (e *Encoder) FrameSamples() int { return e.samples }

// Encode encodes exactly one frame of interleaved PCM into dst and returns
// the packet length. A dst of MaxPacket bytes is always large enough. Both
// slices are handed to libopus as they are, with no copy and no C
// allocation; libopus keeps neither after the call.
func (e *Encoder) Encode(pcm []int16, dst []byte) (int, error) {
	if want := e.samples * e.cfg.Channels; len(pcm) != want {
		return 0, fmt.Errorf("opus: frame has %d samples, want %d (%d per channel × %d channels, %v)",
			len(pcm), want, e.samples, e.cfg.Channels, e.cfg.FrameDuration)
	}
	if len(dst) == 0 {
		return 0, errors.New("opus: empty output buffer")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc == nil {
		return 0, errors.New("opus: encode after close")
	}
	n := C.opus_encode(e.enc, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(e.samples),
		(*C.uchar)(unsafe.Pointer(&dst[0])), C.opus_int32(min(len(dst), MaxPacket)))
	if n < 0 {
		return 0, fmt.Errorf("opus: encode: %s", strerror(n))
	}
	return int(n), nil
}

// SetBitrate changes the target, in bits per second, from the next frame
// on without reopening the encoder.
func (e *Encoder) SetBitrate(bps int) error {
	if err := checkBitrate(bps); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc == nil {
		return errors.New("opus: set bitrate after close")
	}
	if rc := C.sto_set_bitrate(e.enc, C.opus_int32(bps)); rc != C.OPUS_OK {
		return fmt.Errorf("opus: set bitrate %d: %s", bps, strerror(rc))
	}
	e.cfg.Bitrate = bps
	return nil
}

// lookahead is the encoder's look-ahead in samples per channel: the delay
// it adds beyond the frame itself. Tests use it to check the mode.
func (e *Encoder) lookahead() (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc == nil {
		return 0, errors.New("opus: closed")
	}
	n := C.sto_lookahead(e.enc)
	if n < 0 {
		return 0, fmt.Errorf("opus: get lookahead: %s", strerror(C.int(n)))
	}
	return int(n), nil
}

// Close releases the encoder. It is safe to call twice.
func (e *Encoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc != nil {
		C.opus_encoder_destroy(e.enc)
		e.enc = nil
	}
	return nil
}

func strerror(rc C.int) string {
	return fmt.Sprintf("%s (%d)", C.GoString(C.opus_strerror(rc)), int(rc))
}
