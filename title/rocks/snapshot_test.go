package rocks

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"stratus/input"
	"stratus/title"
)

// busy plays a little so every part of the state is populated.
func busy(t *testing.T, seed uint64) *Game {
	g := newTest(t, seed)
	rockAhead(g, 3, 150) // a sure hit, for particles
	g.Input(key(input.KeySpace, true))
	g.Input(key(input.KeyLeft, true))
	g.Input(key(input.KeyUp, true))
	ticks(g, 200)
	g.addScore(777)
	if len(g.w.Bullets) == 0 || len(g.w.Particles) == 0 || len(g.w.Rocks) == 0 {
		t.Fatalf("state not busy: %d bullets %d particles %d rocks", len(g.w.Bullets), len(g.w.Particles), len(g.w.Rocks))
	}
	return g
}

func TestSnapshotRoundTrip(t *testing.T) {
	a := busy(t, 5)
	state, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"score"`, `"lives"`, `"level"`, `"ship"`, `"rocks"`, `"bullets"`, `"rng"`} {
		if !strings.Contains(string(state), field) {
			t.Errorf("snapshot lacks %s", field)
		}
	}
	b := newTest(t, 99)
	if err := b.Restore(state); err != nil {
		t.Fatal(err)
	}
	if b.w.Score != a.w.Score || b.w.Score < 777 || len(b.w.Rocks) != len(a.w.Rocks) {
		t.Fatalf("restored score %d with %d rocks, want %d with %d", b.w.Score, len(b.w.Rocks), a.w.Score, len(a.w.Rocks))
	}
	again, _ := b.Snapshot()
	if !bytes.Equal(state, again) {
		t.Fatal("restored game snapshots differently")
	}
	// Both continue identically: same input from here gives the same game,
	// random numbers included, and the same pictures.
	for _, g := range []*Game{a, b} {
		g.ctl = controls{}
		g.Input(key(input.KeySpace, true))
		g.Input(key('D', true))
		ticks(g, 240)
		g.draw()
	}
	sa, _ := a.Snapshot()
	sb, _ := b.Snapshot()
	if !bytes.Equal(sa, sb) {
		t.Error("games diverged after restore")
	}
	if !bytes.Equal(a.frame.Pix, b.frame.Pix) {
		t.Error("frames differ after restore")
	}
}

func TestRestoreRestartsClock(t *testing.T) {
	a := busy(t, 5)
	state, _ := a.Snapshot()
	b := newTest(t, 6)
	now := time.Unix(100, 0)
	b.Render(now)
	if err := b.Restore(state); err != nil {
		t.Fatal(err)
	}
	tick := b.w.Tick
	b.Render(now.Add(time.Hour)) // time away from the game is not game time
	if b.w.Tick != tick+1 {
		t.Errorf("%d steps on the first frame after restore, want 1", b.w.Tick-tick)
	}
}

func TestRestoreOtherSize(t *testing.T) {
	a := busy(t, 5)
	state, _ := a.Snapshot()
	small, err := newSeeded(title.Options{Width: 640, Height: 480}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := small.Restore(state); err != nil {
		t.Fatal(err)
	}
	if small.w.Width != 640 || small.w.Height != 480 {
		t.Fatalf("field %dx%d", small.w.Width, small.w.Height)
	}
	if err := checkWorld(small); err != nil {
		t.Fatal(err)
	}
	ticks(small, 60)
	small.draw()
}

func TestRestoreRejects(t *testing.T) {
	good := busy(t, 5)
	state, _ := good.Snapshot()
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(state, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	firstRock := func(m map[string]any) map[string]any { return m["rocks"].([]any)[0].(map[string]any) }
	tests := []struct {
		name  string
		state []byte
	}{
		{"not json", []byte("{")},
		{"empty", nil},
		{"version", edit(func(m map[string]any) { m["version"] = 2 })},
		{"phase", edit(func(m map[string]any) { m["phase"] = 7 })},
		{"lives", edit(func(m map[string]any) { m["lives"] = 100 })},
		{"level", edit(func(m map[string]any) { m["level"] = 0 })},
		{"score", edit(func(m map[string]any) { m["score"] = -5 })},
		{"rng", edit(func(m map[string]any) { m["rng"] = "AAAA" })},
		{"rock size", edit(func(m map[string]any) { firstRock(m)["size"] = 4 })},
		{"rock speed", edit(func(m map[string]any) { firstRock(m)["vel"] = map[string]any{"x": 1e6, "y": 0} })},
		{"rock shape", edit(func(m map[string]any) { firstRock(m)["shape"].([]any)[0] = 50 })},
		{"too many bullets", edit(func(m map[string]any) {
			bs := m["bullets"].([]any)
			for len(bs) <= maxBullets {
				bs = append(bs, bs[0])
			}
			m["bullets"] = bs
		})},
		{"particle kind", edit(func(m map[string]any) { m["particles"].([]any)[0].(map[string]any)["kind"] = 9 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := busy(t, 8)
			before, _ := g.Snapshot()
			if err := g.Restore(tt.state); err == nil {
				t.Fatal("accepted")
			}
			after, _ := g.Snapshot()
			if !bytes.Equal(before, after) {
				t.Error("failed restore changed the game")
			}
		})
	}
}
