//go:build !cgo

package yuv

import (
	"fmt"

	"stratus/encoder"
)

// Available reports whether the conversions work in this build; without cgo
// libyuv cannot be called.
func Available() bool { return false }

// RGBAToI420 needs libyuv, hence cgo.
func RGBAToI420(dst *encoder.I420, pix []byte, stride int) error {
	return fmt.Errorf("yuv: built without cgo: %w", encoder.ErrUnavailable)
}

// BGRAToI420 needs libyuv, hence cgo.
func BGRAToI420(dst *encoder.I420, pix []byte, stride int) error {
	return fmt.Errorf("yuv: built without cgo: %w", encoder.ErrUnavailable)
}

// ScaleI420 needs libyuv, hence cgo.
func ScaleI420(dst, src *encoder.I420) error {
	return fmt.Errorf("yuv: built without cgo: %w", encoder.ErrUnavailable)
}
