package rocks

import (
	"math/rand/v2"
	"testing"
	"time"

	"stratus/input"
	"stratus/title"
)

// randomEvent makes any event the wire could carry, sensible or not.
func randomEvent(r *rand.Rand) input.Event {
	e := input.Event{Kind: input.Kind(1 + r.IntN(9))} // includes one unknown kind
	switch r.IntN(3) {
	case 0: // keys the game reads, so play actually happens
		e.Code = []uint16{input.KeyLeft, input.KeyRight, input.KeyUp, input.KeyDown, input.KeySpace, input.KeyEnter, 'W', 'A', 'S', 'D'}[r.IntN(10)]
	default:
		e.Code = uint16(r.Uint32())
	}
	e.Mods, e.Button, e.Down = uint8(r.Uint32()), uint8(r.IntN(6)), r.IntN(2) == 0
	e.X, e.Y = uint16(r.Uint32()), uint16(r.Uint32())
	e.RelX, e.RelY = int32(r.Uint32()), int32(r.IntN(200)-100)
	e.DX, e.DY = int16(r.Uint32()), int16(r.Uint32())
	e.Pad, e.Buttons, e.LT, e.RT = uint8(r.Uint32()), r.Uint32(), uint8(r.Uint32()), uint8(r.Uint32())
	for i := range e.Axes {
		e.Axes[i] = int16(r.Uint32())
	}
	e.TouchID, e.Phase = uint8(r.IntN(16)), uint8(r.IntN(5))
	return e
}

func TestRandomPlay(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	g := newTest(t, 11)
	gaps := []time.Duration{0, 8 * time.Millisecond, stepDur, stepDur, stepDur, 33 * time.Millisecond, 250 * time.Millisecond, 5 * time.Second, -time.Second}
	now := time.Unix(1_700_000_000, 0)
	levels, games := map[int]bool{}, 0
	for frame := range 4000 {
		for range r.IntN(4) {
			g.Input(randomEvent(r))
		}
		now = now.Add(gaps[r.IntN(len(gaps))])
		if _, err := g.Render(now); err != nil {
			t.Fatal(err)
		}
		if err := checkWorld(g); err != nil {
			t.Fatalf("frame %d: %v", frame, err)
		}
		if frame%500 == 499 { // moving edges mid-game keeps working
			s, err := g.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Restore(s); err != nil {
				t.Fatalf("frame %d: restoring own snapshot: %v", frame, err)
			}
		}
		levels[g.w.Level] = true
		if g.w.Phase == over {
			games++
		}
	}
	t.Logf("levels seen %v, frames in game over %d, score %d best %d", levels, games, g.w.Score, g.w.Best)
}

func FuzzInput(f *testing.F) {
	seeds := [][]input.Event{
		{key(input.KeySpace, true), key(input.KeyUp, true)},
		{pointer(0.1, 0.9), {Kind: input.KindMouseButton, Button: 0, Down: true}},
		{{Kind: input.KindMouseMove, X: 5, Y: 5, AccX: 10}, {Kind: input.KindMouseMove, X: 5, Y: 5, AccX: 1 << 30, Seq: 1}},
		{stick(1, 1), pad(input.PadStart, input.PadA)},
		{touch(1, input.TouchStart, 0.2, 0.2), touch(1, input.TouchMove, 0.8, 0.2), touch(1, input.TouchEnd, 0.8, 0.2)},
		{{Kind: input.KindPing, PingID: 1}, {Kind: input.KindWheel, DY: -3}},
	}
	for _, evs := range seeds {
		var msg []byte
		for _, e := range evs {
			msg = input.Append(msg, e)
		}
		f.Add(msg)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		evs, err := input.Decode(nil, msg)
		if err != nil {
			return
		}
		g := newTest(t, 1)
		var rx input.Receiver
		for _, e := range evs {
			if e, ok := rx.Accept(e); ok {
				g.Input(e)
			}
			ticks(g, 7)
		}
		ticks(g, 60)
		g.draw()
		if err := checkWorld(g); err != nil {
			t.Fatal(err)
		}
	})
}

func BenchmarkRender(b *testing.B) {
	// A busy mid-game frame: a full wave, a thrusting, turning, firing ship
	// and explosions. Dead ships and new waves come and go as it runs.
	g, err := newSeeded(title.Options{}, 4)
	if err != nil {
		b.Fatal(err)
	}
	g.w.Level = 8
	g.w.Rocks = g.w.Rocks[:0]
	g.spawnWave()
	for _, e := range []input.Event{key(input.KeySpace, true), key(input.KeyUp, true), key(input.KeyLeft, true)} {
		g.Input(e)
	}
	now := time.Unix(0, 0)
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(stepDur)
		if _, err := g.Render(now); err != nil {
			b.Fatal(err)
		}
		if g.w.Phase == over {
			g.reset()
		}
	}
}

func BenchmarkSnapshot(b *testing.B) {
	g, _ := newSeeded(title.Options{}, 4)
	g.Input(key(input.KeySpace, true))
	ticks(g, 100)
	for b.Loop() {
		s, _ := g.Snapshot()
		if err := g.Restore(s); err != nil {
			b.Fatal(err)
		}
	}
}
