//go:build !cgo

package opus

import (
	"fmt"

	"stratus/encoder"
)

// Encoder exists without cgo only so that callers compile; New never
// returns one.
type Encoder struct{}

func unavailable() error {
	return fmt.Errorf("opus: built without cgo: %w", encoder.ErrUnavailable)
}

// New always fails without cgo: libopus is reached only through cgo.
func New(cfg Config) (*Encoder, error) { return nil, unavailable() }

// FrameSamples is 0: there is no encoder.
func (e *Encoder) FrameSamples() int { return 0 }

// Encode always fails without cgo.
func (e *Encoder) Encode(pcm []int16, dst []byte) (int, error) { return 0, unavailable() }

// SetBitrate always fails without cgo.
func (e *Encoder) SetBitrate(bps int) error { return unavailable() }

// Close does nothing.
func (e *Encoder) Close() error { return nil }
