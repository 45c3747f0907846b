package main

import "math"

// scene renders the synthetic game picture that the benchmark encodes. It is
// deterministic, so that runs compare, and shaped like a game rather than
// like noise (which no encoder handles the way it handles real content):
//
//   - a textured world that pans diagonally, so most blocks are found by
//     motion search but none is static;
//   - sprites moving on their own paths over it, with hard edges;
//   - a fixed HUD strip of fine detail, which costs bits in the IDR only.
type scene struct {
	w, h   int
	stride int
	// texture is a tile of hashed detail, precomputed because hashing
	// every pixel of every picture would dominate the run time.
	texture [texSize * texSize]byte
}

const texSize = 256

func newScene(w, h int) *scene {
	s := &scene{w: w, h: h, stride: 4 * w}
	for y := range texSize {
		for x := range texSize {
			// Detail in 4×4 cells, the scale of a game's surface texture.
			c := uint32(x/4)*73856093 ^ uint32(y/4)*19349663
			c ^= c >> 13
			c *= 0x5bd1e995
			s.texture[y*texSize+x] = byte(c >> 24)
		}
	}
	return s
}

// draw writes picture i into pix as R,G,B,A bytes.
func (s *scene) draw(pix []byte, i int) {
	panX, panY := 3*i, i
	for y := range s.h {
		row := pix[y*s.stride : y*s.stride+4*s.w]
		wy := y + panY
		tex := s.texture[(wy%texSize)*texSize:][:texSize]
		for x := range s.w {
			wx := x + panX
			t := int(tex[wx%texSize]) / 4
			p := row[4*x : 4*x+4 : 4*x+4]
			p[0] = byte(40 + (wx/6)%120 + t)
			p[1] = byte(60 + (wy/5)%100 + t)
			p[2] = byte(90 + ((wx+wy)/9)%80 + t/2)
			p[3] = 255
		}
	}
	for k := range 6 {
		fk := float64(k)
		cx := float64(s.w)/2 + float64(s.w)*0.38*math.Sin(float64(i)*0.021*(fk+1)+fk)
		cy := float64(s.h)/2 + float64(s.h)*0.35*math.Cos(float64(i)*0.017*(fk+2)+2*fk)
		s.disc(pix, int(cx), int(cy), 30+12*k, [3]byte{byte(200 - 30*k), byte(60 + 35*k), byte(40 * k)})
	}
	s.hud(pix, i)
}

// disc draws a filled circle with a light rim, clipped to the picture.
func (s *scene) disc(pix []byte, cx, cy, r int, c [3]byte) {
	for y := max(cy-r, 0); y < min(cy+r, s.h); y++ {
		for x := max(cx-r, 0); x < min(cx+r, s.w); x++ {
			d := (x-cx)*(x-cx) + (y-cy)*(y-cy)
			if d >= r*r {
				continue
			}
			p := pix[y*s.stride+4*x:]
			if d > (r-3)*(r-3) {
				p[0], p[1], p[2] = 250, 250, 240
			} else {
				p[0], p[1], p[2] = c[0], c[1], c[2]
			}
		}
	}
}

// hud draws a static strip of fine stripes with a counter bar that grows,
// as a score or health bar would.
func (s *scene) hud(pix []byte, i int) {
	const top, height = 16, 24
	bar := (i * 4) % (s.w / 3)
	for y := top; y < top+height && y < s.h; y++ {
		for x := 16; x < s.w/3+16 && x < s.w; x++ {
			p := pix[y*s.stride+4*x:]
			v := byte(0)
			if (x/2+y/2)%2 == 0 {
				v = 255
			}
			if x-16 < bar {
				p[0], p[1], p[2] = 230, 30, 30
			} else {
				p[0], p[1], p[2] = v, v, v
			}
		}
	}
}
