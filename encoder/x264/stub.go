//go:build !cgo

package x264

import (
	"fmt"
	"log/slog"

	"stratus/encoder"
)

// Available reports whether this build can encode; without cgo it cannot.
func Available() bool { return false }

// New always fails without cgo: libx264 is reached only through cgo.
func New(cfg encoder.Config, log *slog.Logger) (encoder.Video, error) {
	return nil, fmt.Errorf("x264: built without cgo: %w", encoder.ErrUnavailable)
}
