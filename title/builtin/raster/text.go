package raster

import (
	"sync"

	"golang.org/x/image/font/basicfont"
)

// Glyph metrics of the built-in font (X11 misc-fixed 6×13 from basicfont),
// before scaling.
const (
	GlyphW   = 6
	GlyphH   = 13
	Advance  = 7 // GlyphW plus one column of spacing
	firstChr = ' '
	lastChr  = '~'
)

// glyphs holds one bit row per scanline of each printable ASCII character,
// bit 5 being the leftmost column. It is unpacked once from basicfont's
// alpha mask so drawing text reads a small table instead of an
// image.Image interface per pixel.
var glyphs = sync.OnceValue(func() *[lastChr - firstChr + 1][GlyphH]uint8 {
	var t [lastChr - firstChr + 1][GlyphH]uint8
	face := basicfont.Face7x13
	mask := face.Mask
	for r := firstChr; r <= lastChr; r++ {
		row := glyphRow(face, r)
		for y := range GlyphH {
			var bits uint8
			for x := range GlyphW {
				if _, _, _, a := mask.At(x, row*face.Height+y).RGBA(); a >= 0x8000 {
					bits |= 1 << (GlyphW - 1 - x)
				}
			}
			t[r-firstChr][y] = bits
		}
	}
	return &t
})

// glyphRow finds r's cell in the font mask, or the replacement glyph's.
func glyphRow(face *basicfont.Face, r rune) int {
	for _, rg := range face.Ranges {
		if r >= rg.Low && r < rg.High {
			return int(r-rg.Low) + rg.Offset
		}
	}
	return int('?'-firstChr) + face.Ranges[0].Offset
}

// TextWidth is the width in pixels of n characters at the given scale.
func TextWidth(n, scale int) int { return n * Advance * scale }

// TextHeight is the height in pixels of a line at the given scale.
func TextHeight(scale int) int { return GlyphH * scale }

// Text draws s with its top-left corner at (x, y), each font pixel a
// scale×scale square, and returns the x just past the last character.
// Bytes outside printable ASCII draw as '?'. It takes bytes as well as
// strings so callers can format numbers into a reused buffer.
func Text[S ~string | ~[]byte](c *Canvas, x, y int, s S, scale int, col Color) int {
	scale = max(scale, 1)
	if y >= c.H || y+GlyphH*scale <= 0 {
		return x + TextWidth(len(s), scale)
	}
	t := glyphs()
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch < firstChr || ch > lastChr {
			ch = '?'
		}
		if x < c.W && x+GlyphW*scale > 0 {
			c.glyph(x, y, &t[ch-firstChr], scale, col)
		}
		x += Advance * scale
	}
	return x
}

// glyph draws one character as horizontal runs, so a scaled glyph costs a
// few rectangle fills rather than one call per font pixel.
func (c *Canvas) glyph(x, y int, rows *[GlyphH]uint8, scale int, col Color) {
	for gy, bits := range rows {
		for gx := 0; gx < GlyphW; {
			if bits&(1<<(GlyphW-1-gx)) == 0 {
				gx++
				continue
			}
			end := gx + 1
			for end < GlyphW && bits&(1<<(GlyphW-1-end)) != 0 {
				end++
			}
			px, py := x+gx*scale, y+gy*scale
			c.FillRect(px, py, x+end*scale, py+scale, col)
			gx = end
		}
	}
}

// ShadowText draws s over a one-step black drop shadow, which keeps light
// text legible over any background after video compression.
func ShadowText[S ~string | ~[]byte](c *Canvas, x, y int, s S, scale int, col Color) int {
	d := max(scale/2, 1)
	Text(c, x+d, y+d, s, scale, Black)
	return Text(c, x, y, s, scale, col)
}
