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
	if err := dst.CheckPlanes(); err != nil {
		return fmt.Errorf("yuv: destination %w", err)
	}
	return nil
}
