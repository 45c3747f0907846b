// Package raster draws into the RGBA buffers of the built-in titles. Titles
// redraw a whole 720p frame every 16 ms on one core, so every primitive
// writes straight into the byte slice, clips itself and allocates nothing,
// instead of going through image/draw's per-pixel interfaces.
package raster

// Color is an opaque colour written as 0xRRGGBB, so palettes can be
// constants. Every pixel the package writes has alpha 255: the encoder
// ignores alpha, and a constant keeps frames comparable.
type Color uint32

// Common colours.
const (
	Black Color = 0x000000
	White Color = 0xffffff
)

// RGB builds a colour from its channels.
func RGB(r, g, b uint8) Color { return Color(r)<<16 | Color(g)<<8 | Color(b) }

// R, G and B return the channels.
func (c Color) R() uint8 { return uint8(c >> 16) }
func (c Color) G() uint8 { return uint8(c >> 8) }
func (c Color) B() uint8 { return uint8(c) }

// Scale multiplies every channel by k (0..1), for dimming.
func (c Color) Scale(k float64) Color { return Lerp(Black, c, k) }

// Lerp mixes a and b; t is clamped to 0..1.
func Lerp(a, b Color, t float64) Color {
	switch {
	case t <= 0:
		return a
	case t >= 1:
		return b
	}
	mix := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*t + 0.5) }
	return RGB(mix(a.R(), b.R()), mix(a.G(), b.G()), mix(a.B(), b.B()))
}

// Canvas is a W×H RGBA picture (memory order R, G, B, A).
type Canvas struct {
	Pix    []byte
	W, H   int
	Stride int
}

// New allocates a canvas; its pixels start transparent black, so callers
// fill or copy a background before the first frame.
func New(w, h int) *Canvas {
	return &Canvas{Pix: make([]byte, 4*w*h), W: w, H: h, Stride: 4 * w}
}

// Set writes one pixel; points outside the canvas are ignored.
func (c *Canvas) Set(x, y int, col Color) {
	if uint(x) >= uint(c.W) || uint(y) >= uint(c.H) {
		return
	}
	i := y*c.Stride + 4*x
	p := c.Pix[i : i+4 : i+4]
	p[0], p[1], p[2], p[3] = col.R(), col.G(), col.B(), 255
}

// span fills pixels [x0, x1) of row y, already clipped. Doubling copies keep
// wide spans close to memset speed.
func (c *Canvas) span(y, x0, x1 int, col Color) {
	if x1 <= x0 {
		return
	}
	row := c.Pix[y*c.Stride+4*x0 : y*c.Stride+4*x1]
	row[0], row[1], row[2], row[3] = col.R(), col.G(), col.B(), 255
	for n := 4; n < len(row); n *= 2 {
		copy(row[n:], row[:n])
	}
}

// FillRect fills the half-open rectangle [x0,x1)×[y0,y1), clipped.
func (c *Canvas) FillRect(x0, y0, x1, y1 int, col Color) {
	x0, x1 = max(x0, 0), min(x1, c.W)
	y0, y1 = max(y0, 0), min(y1, c.H)
	if x1 <= x0 || y1 <= y0 {
		return
	}
	c.span(y0, x0, x1, col)
	first := c.Pix[y0*c.Stride+4*x0 : y0*c.Stride+4*x1]
	for y := y0 + 1; y < y1; y++ {
		copy(c.Pix[y*c.Stride+4*x0:], first)
	}
}

// Fill paints the whole canvas.
func (c *Canvas) Fill(col Color) { c.FillRect(0, 0, c.W, c.H, col) }
