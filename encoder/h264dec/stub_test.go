//go:build !cgo

package h264dec

import (
	"errors"
	"testing"

	"stratus/encoder"
)

func TestUnavailableWithoutCgo(t *testing.T) {
	if Available() {
		t.Error("Available() = true without cgo")
	}
	d, err := New(Config{})
	if !errors.Is(err, encoder.ErrUnavailable) {
		t.Errorf("New error %v, want ErrUnavailable", err)
	}
	if d != nil {
		t.Error("New returned a decoder without cgo")
	}
	var zero Decoder
	if _, err := zero.Decode([]byte{0, 0, 0, 1, 0x65}); !errors.Is(err, encoder.ErrUnavailable) {
		t.Errorf("Decode error %v, want ErrUnavailable", err)
	}
	if err := zero.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
