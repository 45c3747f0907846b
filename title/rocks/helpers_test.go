package rocks

import (
	"fmt"
	"math"
	"testing"

	"stratus/input"
	"stratus/title"
)

// newTest starts a 1280×720 game with a pinned seed.
func newTest(t testing.TB, seed uint64) *Game {
	t.Helper()
	g, err := newSeeded(title.Options{}, seed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// calm empties the field, so a test controls every rock there is.
func calm(g *Game) *Game {
	g.w.Rocks = g.w.Rocks[:0]
	g.w.Phase = playing
	return g
}

func ticks(g *Game, n int) {
	for range n {
		g.tick()
	}
}

func key(code uint16, down bool) input.Event {
	k := input.KindKeyUp
	if down {
		k = input.KindKeyDown
	}
	return input.Event{Kind: k, Code: code}
}

func pad(buttons ...int) input.Event {
	e := input.Event{Kind: input.KindGamepad}
	for _, b := range buttons {
		e.Buttons |= 1 << uint(b)
	}
	return e
}

func stick(x, y float64) input.Event {
	return input.Event{Kind: input.KindGamepad, Axes: [4]int16{int16(x * 32767), int16(y * 32767)}}
}

func touch(id, phase uint8, x, y float64) input.Event {
	return input.Event{Kind: input.KindTouch, TouchID: id, Phase: phase, X: uint16(x * 65535), Y: uint16(y * 65535)}
}

// pointer is an unlocked mouse at a fraction of the frame.
func pointer(x, y float64) input.Event {
	return input.Event{Kind: input.KindMouseMove, X: uint16(x * 65535), Y: uint16(y * 65535)}
}

// angleNear compares angles modulo a full turn.
func angleNear(a, b float64) bool { return math.Abs(math.Remainder(a-b, 2*math.Pi)) < 0.05 }

// checkWorld verifies what must hold after any sequence of input.
func checkWorld(g *Game) error {
	w := &g.w
	W, H := float64(w.Width), float64(w.Height)
	in := func(p vec) bool { return p.X >= 0 && p.X < W && p.Y >= 0 && p.Y < H }
	switch {
	case len(w.Rocks) > maxRocks || len(w.Bullets) > maxBullets || len(w.Particles) > maxParticles:
		return fmt.Errorf("%d rocks %d bullets %d particles", len(w.Rocks), len(w.Bullets), len(w.Particles))
	case cap(w.Rocks) != maxRocks || cap(w.Bullets) != maxBullets || cap(w.Particles) != maxParticles:
		return fmt.Errorf("slices reallocated")
	case w.Lives < 0 || w.Lives > maxLives || w.Level < 1 || w.Score < 0 || w.Best < w.Score:
		return fmt.Errorf("lives %d level %d score %d best %d", w.Lives, w.Level, w.Score, w.Best)
	case w.Phase < playing || w.Phase > over:
		return fmt.Errorf("phase %d", w.Phase)
	case !w.Ship.ok() || !in(w.Ship.Pos) || w.Ship.Vel.len() > maxSpeed+1e-9:
		return fmt.Errorf("ship %+v", w.Ship)
	}
	for _, r := range w.Rocks {
		if !in(r.Pos) || r.Size < 1 || r.Size > 3 {
			return fmt.Errorf("rock %+v", r)
		}
	}
	for _, b := range w.Bullets {
		if !in(b.Pos) || b.Life <= 0 {
			return fmt.Errorf("bullet %+v", b)
		}
	}
	for _, p := range w.Particles {
		if !in(p.Pos) || p.Life <= 0 || p.Life > p.Max {
			return fmt.Errorf("particle %+v", p)
		}
	}
	return nil
}
