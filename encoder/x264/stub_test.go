//go:build !cgo

package x264

import (
	"errors"
	"testing"

	"stratus/encoder"
)

func TestUnavailableWithoutCgo(t *testing.T) {
	if Available() {
		t.Error("Available() = true without cgo")
	}
	cfg := encoder.Config{Width: 1280, Height: 720, FPS: 60, Bitrate: 6_000_000}
	if _, err := New(cfg, nil); !errors.Is(err, encoder.ErrUnavailable) {
		t.Errorf("New error %v, want ErrUnavailable", err)
	}
}
