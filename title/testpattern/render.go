package testpattern

import (
	"strconv"
	"time"

	"stratus/title/builtin/raster"
)

// barColours are the classic test-card bars; saturated hues next to each
// other give the encoder sharp chroma edges to carry.
var barColours = [...]raster.Color{
	0xebebeb, 0xebeb10, 0x10ebeb, 0x10eb10,
	0xeb10eb, 0xeb1010, 0x1010eb, 0x606060,
}

// Motion speeds, in pixels per second. Everything moving is a function of
// the render time, so two frames for the same time are identical and tests
// can pin what they see.
const (
	scrollX = 240
	scrollY = 60
	boxVX   = 310
	boxVY   = 170
)

// makeBars renders the background once: vertical bars whose brightness
// follows a triangle wave down the frame, with a faint diagonal texture so
// flat areas still hold detail. Both directions wrap seamlessly, which lets
// Render scroll it with two copies per row.
func makeBars(w, h int) []byte {
	pix := make([]byte, 4*w*h)
	for y := range h {
		tri := 1 - abs(2*float64(y)/float64(h)-1) // 0 at the edges, 1 mid-frame
		bright := 0.35 + 0.65*tri
		for x := range w {
			c := barColours[x*len(barColours)/w]
			k := bright
			if (x+y)/8%2 == 0 {
				k *= 0.9
			}
			i := 4 * (y*w + x)
			pix[i+0] = uint8(float64(c.R()) * k)
			pix[i+1] = uint8(float64(c.G()) * k)
			pix[i+2] = uint8(float64(c.B()) * k)
			pix[i+3] = 255
		}
	}
	return pix
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// offset is how far something moving at speed pixels a second has gone at
// ms, modulo period (never negative, even before 1970).
func offset(ms int64, speed, period int) int {
	if period <= 0 {
		return 0
	}
	d := ms * int64(speed) / 1000 % int64(period)
	if d < 0 {
		d += int64(period)
	}
	return int(d)
}

// bounce is a position that moves at speed and reflects off 0 and span.
func bounce(ms int64, speed, span int) int {
	if span <= 0 {
		return 0
	}
	d := offset(ms, speed, 2*span)
	if d > span {
		d = 2*span - d
	}
	return d
}

func (p *Pattern) drawBackground(ms int64) {
	c := p.canvas
	w4 := 4 * c.W
	dx := 4 * offset(ms, scrollX, c.W)
	dy := offset(ms, scrollY, c.H)
	for y := range c.H {
		sy := y + dy
		if sy >= c.H {
			sy -= c.H
		}
		src := p.bars[sy*w4 : sy*w4+w4]
		dst := c.Pix[y*c.Stride : y*c.Stride+w4]
		n := copy(dst, src[dx:])
		copy(dst[n:], src[:dx])
	}
}

// drawBox draws a bouncing white box with the frame counter in it: a sharp
// high-contrast object whose motion differs from the background's.
func (p *Pattern) drawBox(ms int64) {
	const scale = 4
	const digits = 8
	c := p.canvas
	bw, bh := raster.TextWidth(digits, scale)+2*scale*2, raster.TextHeight(scale)+2*scale*2
	top := BandH + 8
	x := bounce(ms, boxVX, c.W-bw)
	y := top + bounce(ms, boxVY, c.H-bh-top)
	c.FillRect(x, y, x+bw, y+bh, raster.White)
	b := strconv.AppendUint(p.scratch[:0], p.frames%100_000_000, 10)
	for len(b) < digits { // right-align without allocating
		b = append(b, 0)
		copy(b[1:], b)
		b[0] = '0'
	}
	raster.Text(c, x+2*scale, y+2*scale, b, scale, raster.Black)
	p.scratch = b
}

// drawPanel spells out what the cells say, on black so it stays legible.
func (p *Pattern) drawPanel(now time.Time) {
	const scale = 2
	c := p.canvas
	x, y := 16, BandH+12
	line := func(s []byte) {
		end := raster.TextWidth(len(s), scale)
		c.FillRect(x-6, y-4, x+end+6, y+raster.TextHeight(scale)+4, raster.Black)
		raster.Text(c, x, y, s, scale, raster.White)
		y += raster.TextHeight(scale) + 10
	}
	b := append(p.scratch[:0], p.header...)
	line(b)
	b = append(b[:0], "clock  "...)
	b = now.UTC().AppendFormat(b, "15:04:05.000 UTC")
	b = append(b, "   cells "...)
	b = strconv.AppendUint(b, uint64(uint32(now.UnixMilli())), 10)
	line(b)
	b = append(b[:0], "frame  "...)
	b = strconv.AppendUint(b, p.frames, 10)
	line(b)
	b = append(b[:0], "inputs "...)
	b = strconv.AppendUint(b, uint64(p.inputs), 10)
	line(b)
	b = append(b[:0], "last   "...)
	b = append(b, p.last...)
	line(b)
	p.scratch = b
}

// drawCells blacks out the band and sets the cells last, so nothing drawn
// before can leave a grey pixel in them.
func (p *Pattern) drawCells(renderMs, inputs uint32) {
	c := p.canvas
	c.FillRect(0, 0, BandW, BandH, raster.Black)
	for row, v := range [Rows]uint32{renderMs, inputs} {
		y := row * CellSize
		for i := range Cells {
			if v&(1<<(Cells-1-i)) != 0 {
				x := i * CellSize
				c.FillRect(x, y, x+CellSize, y+CellSize, raster.White)
			}
		}
	}
}
