package yuv

import (
	"errors"
	"fmt"

	"stratus/encoder"
)

// check rejects arguments that would make libyuv read or write outside the
// slices; libyuv itself trusts every size it is given.
func check(dst *encoder.I420, pix []byte, stride int) error {
	if dst == nil {
		return errors.New("yuv: nil destination picture")
	}
	w, h := dst.Width, dst.Height
	if w <= 0 || h <= 0 {
		return fmt.Errorf("yuv: destination size %dx%d is empty", w, h)
	}
	if stride < 4*w {
		return fmt.Errorf("yuv: source stride %d is less than %d bytes, one row of %d pixels", stride, 4*w, w)
	}
	if need := stride*(h-1) + 4*w; len(pix) < need {
		return fmt.Errorf("yuv: source holds %d bytes, %dx%d at stride %d needs %d", len(pix), w, h, stride, need)
	}
	cw, ch := (w+1)/2, (h+1)/2
	for _, p := range []struct {
		name         string
		data         []byte
		stride, w, h int
	}{
		{"Y", dst.Y, dst.StrideY, w, h},
		{"U", dst.U, dst.StrideU, cw, ch},
		{"V", dst.V, dst.StrideV, cw, ch},
	} {
		if p.stride < p.w {
			return fmt.Errorf("yuv: destination %s stride %d is less than plane width %d", p.name, p.stride, p.w)
		}
		if need := p.stride*(p.h-1) + p.w; len(p.data) < need {
			return fmt.Errorf("yuv: destination %s plane holds %d bytes, %dx%d at stride %d needs %d", p.name, len(p.data), p.w, p.h, p.stride, need)
		}
	}
	return nil
}
