//go:build cgo

package yuv

import (
	"testing"

	"stratus/encoder"
)

func flat(w, h int, y, u, v byte) *encoder.I420 {
	p := encoder.NewI420(w, h)
	for i := range p.Y {
		p.Y[i] = y
	}
	for i := range p.U {
		p.U[i], p.V[i] = u, v
	}
	return p
}

func TestScaleI420(t *testing.T) {
	for _, c := range []struct{ sw, sh, dw, dh int }{
		{1280, 720, 960, 540},
		{1280, 720, 640, 360},
		{640, 360, 1280, 720},
	} {
		src := flat(c.sw, c.sh, 81, 90, 240)
		// The left half darker, so that a scale that only copied the
		// top-left corner would show.
		for row := range c.sh {
			for x := range c.sw / 2 {
				src.Y[row*src.StrideY+x] = 41
			}
		}
		dst := encoder.NewI420(c.dw, c.dh)
		if err := ScaleI420(dst, src); err != nil {
			t.Fatalf("%dx%d to %dx%d: %v", c.sw, c.sh, c.dw, c.dh, err)
		}
		mid := c.dh / 2 * dst.StrideY
		if l, r := dst.Y[mid+2], dst.Y[mid+c.dw-3]; l != 41 || r != 81 {
			t.Errorf("%dx%d to %dx%d: luma left %d right %d, want 41 and 81", c.sw, c.sh, c.dw, c.dh, l, r)
		}
		if u, v := dst.U[len(dst.U)/2], dst.V[len(dst.V)/2]; u != 90 || v != 240 {
			t.Errorf("%dx%d to %dx%d: chroma %d,%d, want 90,240", c.sw, c.sh, c.dw, c.dh, u, v)
		}
	}
	short := encoder.NewI420(640, 360)
	short.Y = short.Y[:100]
	if err := ScaleI420(short, flat(1280, 720, 0, 0, 0)); err == nil {
		t.Error("a destination with a short Y plane was accepted")
	}
}
