package raster

import (
	"testing"
)

func count(c *Canvas, col Color) int {
	n := 0
	for i := 0; i < len(c.Pix); i += 4 {
		if c.Pix[i] == col.R() && c.Pix[i+1] == col.G() && c.Pix[i+2] == col.B() && c.Pix[i+3] == 255 {
			n++
		}
	}
	return n
}

func TestPrimitives(t *testing.T) {
	red := RGB(255, 0, 0)
	tests := []struct {
		name string
		draw func(c *Canvas)
		want int // pixels painted red
	}{
		{"rect", func(c *Canvas) { c.FillRect(2, 3, 12, 8, red) }, 50},
		{"rect clipped", func(c *Canvas) { c.FillRect(-5, -5, 5, 5, red) }, 25},
		{"rect outside", func(c *Canvas) { c.FillRect(100, 100, 200, 200, red) }, 0},
		{"horizontal line", func(c *Canvas) { c.Line(0, 10, 9, 10, 1, red) }, 10},
		{"diagonal line", func(c *Canvas) { c.Line(0, 0, 9, 9, 1, red) }, 10},
		{"reverse line", func(c *Canvas) { c.Line(9, 5, 0, 0, 1, red) }, 10},
		{"line far outside", func(c *Canvas) { c.Line(-1e9, 5, 1e9, 5, 1, red) }, 64},
		{"wide line", func(c *Canvas) { c.Line(10, 10, 19, 10, 2, red) }, 22}, // brush overhangs one pixel at the start
		{"disc r0", func(c *Canvas) { c.Disc(5, 5, 0, red) }, 1},
		{"square polygon", func(c *Canvas) {
			c.FillPolygon([]Pt{{10, 10}, {20, 10}, {20, 20}, {10, 20}}, red)
		}, 100},
		{"degenerate polygon", func(c *Canvas) { c.FillPolygon([]Pt{{1, 1}, {5, 5}}, red) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(64, 64)
			tt.draw(c)
			if got := count(c, red); got != tt.want {
				t.Errorf("painted %d pixels, want %d", got, tt.want)
			}
		})
	}
}

func TestDiscSymmetric(t *testing.T) {
	c := New(64, 64)
	c.Disc(32, 32, 10, White)
	for y := range 64 {
		for x := range 64 {
			a := c.Pix[y*c.Stride+4*x]
			b := c.Pix[(64-y)%64*c.Stride+4*((64-x)%64)]
			if y > 0 && x > 0 && a != b {
				t.Fatalf("disc not symmetric at %d,%d", x, y)
			}
		}
	}
	if n := count(c, White); n < 320 || n > 360 { // π·10.5² ≈ 346
		t.Errorf("disc area %d", n)
	}
}

func TestText(t *testing.T) {
	c := New(200, 40)
	end := Text(c, 0, 0, "Hi!", 2, White)
	if end != TextWidth(3, 2) {
		t.Errorf("end %d, want %d", end, TextWidth(3, 2))
	}
	if count(c, White) == 0 {
		t.Fatal("text drew nothing")
	}
	// Scaled pixels are whole squares: every white pixel at an even
	// coordinate has its 2×2 block white.
	for y := 0; y < TextHeight(2); y += 2 {
		for x := 0; x < end; x += 2 {
			i := y*c.Stride + 4*x
			if c.Pix[i] == 255 && (c.Pix[i+4] != 255 || c.Pix[i+c.Stride] != 255) {
				t.Fatalf("font pixel at %d,%d not a 2×2 block", x, y)
			}
		}
	}
	if Text(c, 0, 100, []byte("off canvas\x00"), 1, White) != TextWidth(11, 1) {
		t.Error("off-canvas text width")
	}
}

func TestLerp(t *testing.T) {
	a, b := RGB(0, 100, 200), RGB(100, 200, 0)
	if got := Lerp(a, b, 0.5); got != RGB(50, 150, 100) {
		t.Errorf("Lerp = %v", got)
	}
	if Lerp(a, b, -1) != a || Lerp(a, b, 2) != b {
		t.Error("Lerp not clamped")
	}
}
