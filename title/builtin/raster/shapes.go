package raster

import "math"

// Pt is a point in pixel coordinates; pixel (x, y) covers [x, x+1)×[y, y+1).
type Pt struct{ X, Y float64 }

// MaxPolygon is the most vertices FillPolygon takes; the crossings of one
// scanline live in a fixed array so filling never allocates.
const MaxPolygon = 32

// Line draws a line of the given width (a square brush) with Bresenham's
// algorithm. Endpoints far outside the canvas are clipped first, so a stray
// coordinate costs nothing rather than millions of rejected pixels.
func (c *Canvas) Line(x0, y0, x1, y1, width int, col Color) {
	width = max(width, 1)
	var ok bool
	if x0, y0, x1, y1, ok = clipLine(x0, y0, x1, y1, -width, -width, c.W+width, c.H+width); !ok {
		return
	}
	off := width / 2
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	err := dx + dy
	for {
		if width == 1 {
			c.Set(x0, y0, col)
		} else {
			c.FillRect(x0-off, y0-off, x0-off+width, y0-off+width, col)
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

// clipLine is Cohen–Sutherland against [xmin, xmax]×[ymin, ymax]. The clipped
// endpoints are rounded, which bends a long line by at most half a pixel.
func clipLine(x0, y0, x1, y1, xmin, ymin, xmax, ymax int) (int, int, int, int, bool) {
	code := func(x, y int) int {
		c := 0
		switch {
		case x < xmin:
			c |= 1
		case x > xmax:
			c |= 2
		}
		switch {
		case y < ymin:
			c |= 4
		case y > ymax:
			c |= 8
		}
		return c
	}
	fx0, fy0, fx1, fy1 := float64(x0), float64(y0), float64(x1), float64(y1)
	c0, c1 := code(x0, y0), code(x1, y1)
	for range 8 { // each pass moves one endpoint onto one edge
		if c0|c1 == 0 {
			return x0, y0, x1, y1, true
		}
		if c0&c1 != 0 {
			return 0, 0, 0, 0, false
		}
		out := c0
		if out == 0 {
			out = c1
		}
		var x, y float64
		switch {
		case out&8 != 0:
			x, y = fx0+(fx1-fx0)*(float64(ymax)-fy0)/(fy1-fy0), float64(ymax)
		case out&4 != 0:
			x, y = fx0+(fx1-fx0)*(float64(ymin)-fy0)/(fy1-fy0), float64(ymin)
		case out&2 != 0:
			x, y = float64(xmax), fy0+(fy1-fy0)*(float64(xmax)-fx0)/(fx1-fx0)
		default:
			x, y = float64(xmin), fy0+(fy1-fy0)*(float64(xmin)-fx0)/(fx1-fx0)
		}
		ix, iy := int(math.Round(x)), int(math.Round(y))
		if out == c0 {
			x0, y0, fx0, fy0 = ix, iy, x, y
			c0 = code(x0, y0)
		} else {
			x1, y1, fx1, fy1 = ix, iy, x, y
			c1 = code(x1, y1)
		}
	}
	return x0, y0, x1, y1, c0|c1 == 0
}

// Disc fills a circle of radius r centred on pixel (cx, cy).
func (c *Canvas) Disc(cx, cy, r int, col Color) {
	if r < 0 || cx+r < 0 || cy+r < 0 || cx-r >= c.W || cy-r >= c.H {
		return
	}
	rr := float64(r) + 0.5
	for dy := -r; dy <= r; dy++ {
		y := cy + dy
		if uint(y) >= uint(c.H) {
			continue
		}
		half := int(math.Sqrt(rr*rr - float64(dy*dy)))
		c.span(y, max(cx-half, 0), min(cx+half+1, c.W), col)
	}
}

// Circle draws a one-pixel ring of radius r (midpoint algorithm).
func (c *Canvas) Circle(cx, cy, r int, col Color) {
	if r <= 0 || cx+r < 0 || cy+r < 0 || cx-r >= c.W || cy-r >= c.H {
		return
	}
	x, y, d := r, 0, 1-r
	for x >= y {
		c.Set(cx+x, cy+y, col)
		c.Set(cx+y, cy+x, col)
		c.Set(cx-y, cy+x, col)
		c.Set(cx-x, cy+y, col)
		c.Set(cx-x, cy-y, col)
		c.Set(cx-y, cy-x, col)
		c.Set(cx+y, cy-x, col)
		c.Set(cx+x, cy-y, col)
		y++
		if d < 0 {
			d += 2*y + 1
		} else {
			x--
			d += 2*(y-x) + 1
		}
	}
}

// FillPolygon fills a simple polygon (convex or not) with the even-odd rule,
// sampling pixel centres. Vertices past MaxPolygon are ignored.
func (c *Canvas) FillPolygon(pts []Pt, col Color) {
	if len(pts) > MaxPolygon {
		pts = pts[:MaxPolygon]
	}
	if len(pts) < 3 {
		return
	}
	ymin, ymax := pts[0].Y, pts[0].Y
	for _, p := range pts[1:] {
		ymin, ymax = min(ymin, p.Y), max(ymax, p.Y)
	}
	y0 := max(int(math.Ceil(ymin-0.5)), 0)
	y1 := min(int(math.Ceil(ymax-0.5)), c.H)
	var xs [MaxPolygon]float64
	for y := y0; y < y1; y++ {
		yc := float64(y) + 0.5
		n := 0
		prev := pts[len(pts)-1]
		for _, p := range pts {
			if (prev.Y <= yc) != (p.Y <= yc) {
				x := prev.X + (yc-prev.Y)*(p.X-prev.X)/(p.Y-prev.Y)
				// Insertion sort: a scanline crosses only a few edges.
				i := n
				for i > 0 && xs[i-1] > x {
					xs[i] = xs[i-1]
					i--
				}
				xs[i] = x
				n++
			}
			prev = p
		}
		for i := 0; i+1 < n; i += 2 {
			a := max(int(math.Ceil(xs[i]-0.5)), 0)
			b := min(int(math.Ceil(xs[i+1]-0.5)), c.W)
			c.span(y, a, b, col)
		}
	}
}

// Polyline strokes a closed outline through pts.
func (c *Canvas) Polyline(pts []Pt, width int, col Color) {
	if len(pts) < 2 {
		return
	}
	prev := pts[len(pts)-1]
	for _, p := range pts {
		c.Line(pixel(prev.X), pixel(prev.Y), pixel(p.X), pixel(p.Y), width, col)
		prev = p
	}
}

// pixel is the pixel that contains coordinate v.
func pixel(v float64) int { return int(math.Floor(v)) }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}
