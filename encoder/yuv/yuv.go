//go:build cgo

package yuv

/*
#cgo LDFLAGS: -lyuv
#include <libyuv.h>
*/
import "C"

import (
	"fmt"
	"unsafe"

	"stratus/encoder"
)

// Available reports whether the conversions work in this build.
func Available() bool { return true }

// RGBAToI420 converts pixels stored R,G,B,A in memory, rows stride bytes
// apart, into dst, whose size gives the picture size. Alpha is ignored.
func RGBAToI420(dst *encoder.I420, pix []byte, stride int) error {
	if err := check(dst, pix, stride); err != nil {
		return err
	}
	y, u, v := planes(dst)
	if C.ABGRToI420((*C.uint8_t)(unsafe.Pointer(&pix[0])), C.int(stride),
		y, C.int(dst.StrideY), u, C.int(dst.StrideU), v, C.int(dst.StrideV),
		C.int(dst.Width), C.int(dst.Height)) != 0 {
		return fmt.Errorf("yuv: libyuv rejected RGBA %dx%d", dst.Width, dst.Height)
	}
	return nil
}

// BGRAToI420 is RGBAToI420 for pixels stored B,G,R,A in memory.
func BGRAToI420(dst *encoder.I420, pix []byte, stride int) error {
	if err := check(dst, pix, stride); err != nil {
		return err
	}
	y, u, v := planes(dst)
	if C.ARGBToI420((*C.uint8_t)(unsafe.Pointer(&pix[0])), C.int(stride),
		y, C.int(dst.StrideY), u, C.int(dst.StrideU), v, C.int(dst.StrideV),
		C.int(dst.Width), C.int(dst.Height)) != 0 {
		return fmt.Errorf("yuv: libyuv rejected BGRA %dx%d", dst.Width, dst.Height)
	}
	return nil
}

func planes(dst *encoder.I420) (y, u, v *C.uint8_t) {
	return (*C.uint8_t)(unsafe.Pointer(&dst.Y[0])),
		(*C.uint8_t)(unsafe.Pointer(&dst.U[0])),
		(*C.uint8_t)(unsafe.Pointer(&dst.V[0]))
}

// ScaleI420 scales src into dst, whose size gives the new size. Bilinear
// filtering: box filtering is sharper when halving, but costs more than
// the frame budget of a busy edge allows at 720p, and the picture is only
// scaled while the link is too thin for full quality anyway.
func ScaleI420(dst, src *encoder.I420) error {
	if err := src.CheckPlanes(); err != nil {
		return fmt.Errorf("yuv: scale source: %w", err)
	}
	if err := dst.CheckPlanes(); err != nil {
		return fmt.Errorf("yuv: scale destination: %w", err)
	}
	sy, su, sv := planes(src)
	dy, du, dv := planes(dst)
	if C.I420Scale(sy, C.int(src.StrideY), su, C.int(src.StrideU), sv, C.int(src.StrideV),
		C.int(src.Width), C.int(src.Height),
		dy, C.int(dst.StrideY), du, C.int(dst.StrideU), dv, C.int(dst.StrideV),
		C.int(dst.Width), C.int(dst.Height), C.kFilterBilinear) != 0 {
		return fmt.Errorf("yuv: libyuv rejected scaling %dx%d to %dx%d", src.Width, src.Height, dst.Width, dst.Height)
	}
	return nil
}
