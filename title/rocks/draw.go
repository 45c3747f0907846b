package rocks

import (
	"math"
	"math/rand/v2"
	"strconv"

	"stratus/title/builtin/raster"
)

// Palette.
const (
	spaceTop    raster.Color = 0x060a18
	spaceBottom raster.Color = 0x000000
	rockFill    raster.Color = 0x2b2723
	rockEdge    raster.Color = 0xcdbfa8
	shipFill    raster.Color = 0x0f2f48
	shipEdge    raster.Color = 0x80eaff
	flameOuter  raster.Color = 0xff8a20
	flameInner  raster.Color = 0xfff27a
	bulletColor raster.Color = 0xfff6b0
	hudLabel    raster.Color = 0x8fa8c8
	hudValue    raster.Color = 0xffffff
	levelColor  raster.Color = 0xffd060
	overColor   raster.Color = 0xff5a48
	hintColor   raster.Color = 0xc8d8ff
)

// particleColours fade each kind from its first colour to its last.
var particleColours = [particleKinds][2]raster.Color{
	dust:   {0xd8ccb4, 0x3a3530},
	fire:   {0xffe070, 0x601000},
	debris: {0xc0f4ff, 0x103040},
}

// starfield pre-renders the background: a faint blue-to-black gradient,
// two dim nebulae and a few hundred stars. It never changes, so each frame
// starts with one copy and the encoder sees a still backdrop, as in most
// games. The stars use their own fixed seed: they are scenery, not state.
func starfield(w, h int) []byte {
	c := raster.New(w, h)
	for y := range h {
		c.FillRect(0, y, w, y+1, raster.Lerp(spaceTop, spaceBottom, float64(y)/float64(h)))
	}
	r := rand.New(rand.NewPCG(1, 2))
	type nebula struct {
		x, y, r float64
		col     raster.Color
	}
	for _, n := range [...]nebula{
		{0.22, 0.7, 0.28, 0x301848},
		{0.78, 0.28, 0.22, 0x102c3c},
	} {
		cx, cy, rad := n.x*float64(w), n.y*float64(h), n.r*float64(w)
		for y := max(int(cy-rad), 0); y < min(int(cy+rad), h); y++ {
			for x := max(int(cx-rad), 0); x < min(int(cx+rad), w); x++ {
				d := math.Hypot(float64(x)-cx, float64(y)-cy) / rad
				if d >= 1 {
					continue
				}
				i := y*c.Stride + 4*x
				k := (1 - d) * (1 - d)
				c.Pix[i] = uint8(min(float64(c.Pix[i])+k*float64(n.col.R()), 255))
				c.Pix[i+1] = uint8(min(float64(c.Pix[i+1])+k*float64(n.col.G()), 255))
				c.Pix[i+2] = uint8(min(float64(c.Pix[i+2])+k*float64(n.col.B()), 255))
			}
		}
	}
	for range w * h / 2400 {
		x, y := r.IntN(w), r.IntN(h)
		b := 0.25 + 0.75*r.Float64()*r.Float64()
		tint := raster.Lerp(0xffe8d0, 0xd0e0ff, r.Float64())
		c.Set(x, y, tint.Scale(b))
		if b > 0.75 { // the brightest get a small cross so they read after compression
			dim := tint.Scale(b * 0.45)
			c.Set(x-1, y, dim)
			c.Set(x+1, y, dim)
			c.Set(x, y-1, dim)
			c.Set(x, y+1, dim)
		}
	}
	return c.Pix
}

// draw renders the current state.
func (g *Game) draw() {
	c := g.canvas
	copy(c.Pix, g.bg)
	w := &g.w
	for _, p := range w.Particles {
		col := particleColours[p.Kind]
		size := 2
		if p.Kind == fire {
			size = 3
		}
		x, y := int(p.Pos.X), int(p.Pos.Y)
		c.FillRect(x, y, x+size, y+size, raster.Lerp(col[0], col[1], 1-p.Life/p.Max))
	}
	for i := range w.Rocks {
		g.drawRock(&w.Rocks[i])
	}
	for _, b := range w.Bullets {
		x, y := int(b.Pos.X), int(b.Pos.Y)
		c.Disc(x, y, 3, bulletColor)
		c.Set(x, y, raster.White)
	}
	if w.Ship.Alive {
		g.drawShip()
	}
	g.drawHUD()
}

// copies returns where an object of radius r at p must be drawn so that it
// shows on both sides of any edge it straddles.
func (g *Game) copies(p vec, r float64) (out [4]vec, n int) {
	W, H := float64(g.w.Width), float64(g.w.Height)
	xs, nx := [2]float64{p.X}, 1
	switch {
	case p.X-r < 0:
		xs[1], nx = p.X+W, 2
	case p.X+r > W:
		xs[1], nx = p.X-W, 2
	}
	ys, ny := [2]float64{p.Y}, 1
	switch {
	case p.Y-r < 0:
		ys[1], ny = p.Y+H, 2
	case p.Y+r > H:
		ys[1], ny = p.Y-H, 2
	}
	for _, x := range xs[:nx] {
		for _, y := range ys[:ny] {
			out[n] = vec{x, y}
			n++
		}
	}
	return out, n
}

func (g *Game) drawRock(r *rock) {
	rad := rockRadius[r.Size]
	at, n := g.copies(r.Pos, rad*1.2)
	pts := g.pts[:rockVerts]
	for _, p := range at[:n] {
		for i, s := range r.Shape {
			a := r.Angle + 2*math.Pi*float64(i)/rockVerts
			pts[i] = raster.Pt{X: p.X + rad*s*math.Cos(a), Y: p.Y + rad*s*math.Sin(a)}
		}
		g.canvas.FillPolygon(pts, rockFill)
		g.canvas.Polyline(pts, 2, rockEdge)
	}
}

// Outlines with the nose along +x. The ship is nose, wing, notch, wing;
// the flame comes out of the notch.
var (
	shipShape  = [...]vec{{24, 0}, {-15, -14}, {-8, 0}, {-15, 14}}
	flameShape = [...]vec{{-10, -8}, {-26, 0}, {-10, 8}}
	flameCore  = [...]vec{{-10, -4}, {-18, 0}, {-10, 4}}
)

// shape transforms a local outline to the screen.
func (g *Game) shape(local []vec, at vec, angle, scale float64) []raster.Pt {
	sin, cos := math.Sincos(angle)
	pts := g.pts[:len(local)]
	for i, v := range local {
		pts[i] = raster.Pt{X: at.X + scale*(v.X*cos-v.Y*sin), Y: at.Y + scale*(v.X*sin+v.Y*cos)}
	}
	return pts
}

func (g *Game) drawShip() {
	s := &g.w.Ship
	c := g.canvas
	at, n := g.copies(s.Pos, 36)
	for _, p := range at[:n] {
		if s.Thrusting {
			// Flicker from the tick, not the game's random numbers, so
			// drawing never changes the simulation.
			f := 1 + float64(g.w.Tick*7%5)*0.12
			c.FillPolygon(g.shape(flameShape[:], p, s.Angle, f), flameOuter)
			c.FillPolygon(g.shape(flameCore[:], p, s.Angle, f), flameInner)
		}
		pts := g.shape(shipShape[:], p, s.Angle, 1)
		c.FillPolygon(pts, shipFill)
		c.Polyline(pts, 2, shipEdge)
		// The shield blinks, faster as it runs out.
		if s.Shield > 0 {
			rate := uint64(8)
			if s.Shield < 0.8 {
				rate = 4
			}
			if g.w.Tick/rate%2 == 0 {
				c.Circle(int(p.X), int(p.Y), 30, shipEdge)
				c.Circle(int(p.X), int(p.Y), 31, shipEdge)
			}
		}
	}
}

func (g *Game) drawHUD() {
	c := g.canvas
	w := &g.w
	const margin = 24
	num := func(prefix string, v int) []byte {
		g.scratch = strconv.AppendInt(append(g.scratch[:0], prefix...), int64(v), 10)
		return g.scratch
	}

	x := raster.ShadowText(c, margin, margin, "SCORE ", 3, hudLabel)
	raster.ShadowText(c, x, margin, num("", w.Score), 3, hudValue)
	for i := range min(w.Lives, maxLives) {
		p := vec{float64(margin + 12 + i*30), float64(margin + 62)}
		pts := g.shape(shipShape[:], p, -math.Pi/2, 0.6)
		c.FillPolygon(pts, shipFill)
		c.Polyline(pts, 2, shipEdge)
	}
	lv := num("LEVEL ", w.Level)
	raster.ShadowText(c, c.W-margin-raster.TextWidth(len(lv), 3), margin, lv, 3, levelColor)
	best := num("BEST ", w.Best)
	raster.ShadowText(c, (c.W-raster.TextWidth(len(best), 2))/2, margin+4, best, 2, hudLabel)

	switch {
	case w.Phase == over:
		centred(g, c.H/2-110, "GAME OVER", 8, overColor)
		centred(g, c.H/2+10, num("SCORE ", w.Score), 3, hudValue)
		if w.Score > 0 && w.Score == w.Best {
			centred(g, c.H/2+60, "NEW BEST!", 3, levelColor)
		}
		if w.Timer >= restartDelay && w.Tick/30%2 == 0 {
			centred(g, c.H/2+120, "PRESS ENTER, START, FIRE OR TAP TO PLAY AGAIN", 2, hintColor)
		}
	case w.Phase == cleared:
		centred(g, c.H/2-160, "WAVE CLEARED", 5, levelColor)
	case w.Banner > 0:
		centred(g, c.H/2-170, num("LEVEL ", w.Level), 6, levelColor)
	}
	if w.Hint > 0 && w.Phase != over {
		y := c.H - margin - 2*raster.TextHeight(2) - 10
		centred(g, y, "KEYS: ARROWS/WASD TURN + THRUST, SPACE FIRE    PAD: STICK, A FIRE", 2, hintColor)
		centred(g, y+raster.TextHeight(2)+10, "MOUSE: AIM, LEFT FIRE, RIGHT THRUST    TOUCH: TAP TO FIRE", 2, hintColor)
	}
}

// centred draws s centred across the frame.
func centred[S ~string | ~[]byte](g *Game, y int, s S, scale int, col raster.Color) {
	raster.ShadowText(g.canvas, (g.canvas.W-raster.TextWidth(len(s), scale))/2, y, s, scale, col)
}
