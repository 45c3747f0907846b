package x11

import "stratus/title"

// blend draws src, a w×h image of premultiplied ARGB pixels (XFixes'
// cursor format), over the BGRA frame f with its top-left corner at x0, y0,
// clipped to the frame. Each channel becomes src + dst·(255−alpha)/255,
// rounded; the frame's fourth byte is left as it was. Fully transparent
// pixels, most of a cursor's box, cost one compare.
func blend(f *title.Frame, src []uint32, w, h, x0, y0 int) {
	cx0, cy0 := max(0, -x0), max(0, -y0)
	cx1, cy1 := min(w, f.Width-x0), min(h, f.Height-y0)
	if cx0 >= cx1 || cy0 >= cy1 || len(src) < w*h {
		return
	}
	for cy := cy0; cy < cy1; cy++ {
		row := src[cy*w+cx0 : cy*w+cx1]
		off := (y0+cy)*f.Stride + (x0+cx0)*4
		dst := f.Pix[off : off+len(row)*4]
		for n, s := range row {
			a := s >> 24
			if a == 0 {
				continue
			}
			p := dst[n*4 : n*4+3]
			if a == 0xff {
				p[0], p[1], p[2] = byte(s), byte(s>>8), byte(s>>16)
				continue
			}
			k := 0xff - a
			p[0] = over(s, p[0], k)
			p[1] = over(s>>8, p[1], k)
			p[2] = over(s>>16, p[2], k)
		}
	}
}

// over is one channel of premultiplied "over": s + d·k/255, with k = 255 −
// alpha, saturating in case a cursor's colour exceeds its alpha (not
// premultiplied after all).
func over(s uint32, d byte, k uint32) byte {
	t := uint32(d)*k + 128
	v := s&0xff + (t+t>>8)>>8 // (t + t/256) / 256 is t/255 rounded, for t < 65536
	return byte(min(v, 0xff))
}
