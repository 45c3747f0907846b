//go:build !cgo

package h264dec

import (
	"fmt"

	"stratus/encoder"
)

// Decoder exists without cgo only so that callers compile; New never
// returns one.
type Decoder struct{}

func unavailable() error {
	return fmt.Errorf("h264dec: built without cgo: %w", encoder.ErrUnavailable)
}

// Available reports whether this build can decode; without cgo it cannot.
func Available() bool { return false }

// New always fails without cgo: libavcodec is reached only through cgo.
func New(cfg Config) (*Decoder, error) { return nil, unavailable() }

// Decode always fails without cgo.
func (d *Decoder) Decode(au []byte) ([]Frame, error) { return nil, unavailable() }

// Close does nothing.
func (d *Decoder) Close() error { return nil }
