package x11

import (
	"testing"

	"stratus/title"
)

func TestBlend(t *testing.T) {
	// A 4×3 frame of grey 0x80 (fourth byte 7, which blend must keep),
	// with a stride wider than a row.
	f := &title.Frame{Format: title.BGRA, Width: 4, Height: 3, Stride: 20, Pix: make([]byte, 60)}
	for i := range f.Pix {
		f.Pix[i] = 0x80
		if i%4 == 3 {
			f.Pix[i] = 7
		}
	}
	// 2×2, premultiplied: opaque red, transparent, half-alpha white (0x80
	// over 0x80 at 0x80 alpha: 0x80 + 0x80·0x7f/255 = 0xc0), and a colour
	// above its alpha, which saturates instead of wrapping.
	src := []uint32{0xffff0000, 0x00000000, 0x80808080, 0x10ff0000}
	blend(f, src, 2, 2, 3, 2) // only the top-left pixel is on the frame
	blend(f, src, 2, 2, -1, -1)
	blend(f, src, 2, 2, 0, 1)
	blend(f, src, 2, 2, 9, 9) // entirely off the frame
	want := map[[2]int][3]byte{
		{3, 2}: {0x00, 0x00, 0xff}, // BGR: opaque red
		{0, 0}: {0x78, 0x78, 0xff}, // 0x10-alpha red: 0xff + 0x80·0xef/255, saturated
		{0, 1}: {0x00, 0x00, 0xff},
		{0, 2}: {0xc0, 0xc0, 0xc0},
		{1, 2}: {0x78, 0x78, 0xff},
	}
	for y := 0; y < 3; y++ {
		for x := 0; x < 4; x++ {
			p := f.Pix[y*f.Stride+x*4:]
			w, ok := want[[2]int{x, y}]
			if !ok {
				w = [3]byte{0x80, 0x80, 0x80}
			}
			if [3]byte(p[:3]) != w || p[3] != 7 {
				t.Errorf("pixel %d,%d = % x, want % x and 07", x, y, p[:4], w)
			}
		}
	}
}
