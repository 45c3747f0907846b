//go:build !cgo

package nvenc

import (
	"fmt"
	"log/slog"

	"stratus/encoder"
)

// Probe always fails without cgo: the driver is reached only through cgo.
func Probe() error {
	return fmt.Errorf("nvenc: built without cgo: %w", encoder.ErrUnavailable)
}

// ProbeGPU always fails without cgo, like Probe.
func ProbeGPU(gpu int) error { return Probe() }

// New always fails without cgo, like Probe. An invalid cfg is still
// reported as such, so a config error shows up on every build.
func New(cfg Config, log *slog.Logger) (encoder.Video, error) {
	if _, err := buildParams(cfg); err != nil {
		return nil, fmt.Errorf("nvenc: invalid config: %w", err)
	}
	return nil, Probe()
}
