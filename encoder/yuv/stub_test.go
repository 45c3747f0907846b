//go:build !cgo

package yuv

import (
	"errors"
	"testing"

	"stratus/encoder"
)

func TestUnavailableWithoutCgo(t *testing.T) {
	if Available() {
		t.Error("Available() = true without cgo")
	}
	dst := encoder.NewI420(2, 2)
	pix := make([]byte, 16)
	for name, err := range map[string]error{"RGBA": RGBAToI420(dst, pix, 8), "BGRA": BGRAToI420(dst, pix, 8)} {
		if !errors.Is(err, encoder.ErrUnavailable) {
			t.Errorf("%s: error %v, want ErrUnavailable", name, err)
		}
	}
}
