//go:build !cgo

package nvenc

import (
	"errors"
	"strings"
	"testing"

	"stratus/encoder"
)

func TestUnavailableWithoutCgo(t *testing.T) {
	for name, err := range map[string]error{"Probe": Probe(), "ProbeGPU": ProbeGPU(0)} {
		if !errors.Is(err, encoder.ErrUnavailable) || !strings.Contains(err.Error(), "built without cgo") {
			t.Errorf("%s error %v, want ErrUnavailable saying built without cgo", name, err)
		}
	}
	enc, err := New(Config{Config: encoder.Config{Width: 1280, Height: 720, FPS: 60, Bitrate: 6_000_000}}, nil)
	if enc != nil || !errors.Is(err, encoder.ErrUnavailable) || !strings.Contains(err.Error(), "built without cgo") {
		t.Errorf("New: %v, %v; want nil and ErrUnavailable saying built without cgo", enc, err)
	}
}

func TestInvalidConfigWithoutCgo(t *testing.T) {
	_, err := New(Config{Config: encoder.Config{Width: 1281, Height: 720, FPS: 60, Bitrate: 6_000_000}}, nil)
	if err == nil || errors.Is(err, encoder.ErrUnavailable) || !strings.Contains(err.Error(), "size 1281x720") {
		t.Errorf("New error %v, want an invalid-config error", err)
	}
}
