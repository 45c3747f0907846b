package rocks

import (
	"testing"
	"time"

	"stratus/input"
	"stratus/title"
	"stratus/title/builtin/raster"
)

// rockAhead puts a rock of the given size straight ahead of the ship.
func rockAhead(g *Game, size int, dist float64) {
	s := g.w.Ship
	g.addRock(size, s.Pos.add(polar(s.Angle, dist)), vec{})
}

func TestBulletSplitsRock(t *testing.T) {
	tests := []struct {
		size      int
		wantRocks int
		points    int
	}{
		{3, 2, 20},
		{2, 2, 50},
		{1, 0, 100},
	}
	for _, tt := range tests {
		g := calm(newTest(t, 1))
		rockAhead(g, tt.size, 200)
		g.addRock(3, vec{50, 50}, vec{}) // so the wave doesn't end
		g.Input(key(input.KeySpace, true))
		g.tick()
		g.Input(key(input.KeySpace, false))
		ticks(g, 30)
		pieces := 0
		for _, r := range g.w.Rocks {
			if r.Size == tt.size-1 {
				pieces++
			}
		}
		if pieces != tt.wantRocks || len(g.w.Rocks) != tt.wantRocks+1 {
			t.Errorf("size %d: %d pieces of %d rocks after hit, want %d", tt.size, pieces, len(g.w.Rocks)-1, tt.wantRocks)
		}
		if g.w.Score != tt.points || len(g.w.Bullets) != 0 || len(g.w.Particles) == 0 {
			t.Errorf("size %d: score %d, %d bullets, %d particles", tt.size, g.w.Score, len(g.w.Bullets), len(g.w.Particles))
		}
	}
}

func TestCrashAndGameOver(t *testing.T) {
	g := calm(newTest(t, 1))
	g.w.Ship.Shield = 0
	g.addRock(3, g.w.Ship.Pos, vec{})
	g.tick()
	if g.w.Ship.Alive || g.w.Lives != startLives-1 {
		t.Fatalf("after crash: alive %v, lives %d", g.w.Ship.Alive, g.w.Lives)
	}
	// The ship waits for room, and comes back shielded once it has it.
	ticks(g, int(respawnDelay*60)+5)
	if g.w.Ship.Alive {
		t.Fatal("respawned into the rocks at the centre")
	}
	g.w.Rocks = g.w.Rocks[:0]
	g.addRock(1, vec{10, 10}, vec{})
	g.tick()
	if !g.w.Ship.Alive || g.w.Ship.Shield <= 0 {
		t.Fatalf("not respawned: %+v", g.w.Ship)
	}

	g.w.Lives, g.w.Ship.Shield = 1, 0
	g.addScore(1234)
	g.addRock(2, g.w.Ship.Pos, vec{})
	g.tick()
	if g.w.Phase != over || g.w.Lives != 0 {
		t.Fatalf("phase %d lives %d, want game over", g.w.Phase, g.w.Lives)
	}

	// Holding fire through the end doesn't restart; a fresh press after
	// the delay does.
	g.Input(key(input.KeySpace, true))
	ticks(g, int(restartDelay*60)+30)
	if g.w.Phase != over {
		t.Fatal("held fire restarted the game")
	}
	g.Input(key(input.KeySpace, false))
	g.tick()
	g.Input(key(input.KeySpace, true))
	g.tick()
	if g.w.Phase != playing || g.w.Lives != startLives || g.w.Score != 0 || g.w.Best != 1234 || g.w.Level != 1 {
		t.Fatalf("after restart: %+v", g.w)
	}
}

func TestRestartButtons(t *testing.T) {
	for _, e := range []input.Event{key(input.KeyEnter, true), pad(input.PadStart), touch(0, input.TouchStart, 0.5, 0.5)} {
		g := newTest(t, 1)
		g.w.Phase, g.w.Lives, g.w.Ship.Alive = over, 0, false
		ticks(g, int(restartDelay*60)+1)
		g.Input(e)
		g.tick()
		if g.w.Phase != playing || g.w.Lives != startLives {
			t.Errorf("%v: did not restart", e)
		}
	}
	// Enter in play is ignored, not a surprise new game.
	g := newTest(t, 1)
	g.w.Score = 500
	g.Input(key(input.KeyEnter, true))
	g.tick()
	if g.w.Score != 500 {
		t.Error("Enter restarted a game in play")
	}
}

func TestWaves(t *testing.T) {
	g := calm(newTest(t, 1))
	g.tick()
	if g.w.Phase != cleared {
		t.Fatalf("phase %d after the last rock, want cleared", g.w.Phase)
	}
	ticks(g, int(levelPause*60)+1)
	if g.w.Phase != playing || g.w.Level != 2 || len(g.w.Rocks) != 5 {
		t.Fatalf("level %d phase %d with %d rocks", g.w.Level, g.w.Phase, len(g.w.Rocks))
	}
	for _, r := range g.w.Rocks {
		if r.Size != 3 || g.dist(r.Pos, g.w.Ship.Pos) < 200 {
			t.Errorf("new rock %+v too close or not big", r)
		}
	}
}

func TestExtraLife(t *testing.T) {
	g := newTest(t, 1)
	g.addScore(extraLifeEvery*2 + 5)
	if g.w.Lives != startLives+2 || g.w.NextLife != 3*extraLifeEvery {
		t.Errorf("lives %d next %d", g.w.Lives, g.w.NextLife)
	}
}

func TestClock(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		name  string
		gaps  []time.Duration // between renders, after the first
		steps uint64          // including the first render's step
	}{
		{"first frame", nil, 1},
		{"steady 60", []time.Duration{stepDur, stepDur, stepDur}, 4},
		{"jitter", []time.Duration{ms(14), ms(19), ms(15), ms(18), ms(14), ms(20)}, 7},
		{"skipped frame", []time.Duration{2 * stepDur}, 3},
		{"stall", []time.Duration{10 * time.Second}, 1 + maxCatchUp},
		{"clock back", []time.Duration{-time.Second, stepDur}, 2},
		{"30 fps", []time.Duration{2 * stepDur, 2 * stepDur}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newTest(t, 1)
			now := time.Unix(1_700_000_000, 0)
			if _, err := g.Render(now); err != nil {
				t.Fatal(err)
			}
			for _, d := range tt.gaps {
				now = now.Add(d)
				g.Render(now)
			}
			if g.w.Tick != tt.steps {
				t.Errorf("%d steps, want %d", g.w.Tick, tt.steps)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	play := func(seed uint64) []byte {
		g := newTest(t, seed)
		now := time.Unix(0, 0)
		for i := range 600 {
			if i%40 == 0 {
				g.Input(key(input.KeySpace, i%80 == 0))
				g.Input(key(input.KeyLeft, i%120 == 0))
			}
			now = now.Add(stepDur)
			g.Render(now)
		}
		b, err := g.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := play(42), play(42), play(43)
	if string(a) != string(b) {
		t.Error("same seed and input gave different games")
	}
	if string(a) == string(c) {
		t.Error("different seeds gave the same game")
	}
}

func TestOptionsAndDescriptor(t *testing.T) {
	d := Descriptor()
	if d.ID != "rocks" || d.Name != "Rocks" || d.Description == "" || len(d.Inputs) != 4 || d.Width != 1280 || d.Height != 720 || d.FPS != 60 {
		t.Fatalf("descriptor %+v", d)
	}
	pinned := time.Unix(1, 0)
	for _, o := range []title.Options{{}, {Width: 640, Height: 480, FPS: 30}, {Width: 1920, Height: 1080, Now: func() time.Time { return pinned }}} {
		tt, err := d.New(o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		f, err := tt.Render(time.Now())
		info := tt.Info()
		if err != nil || f.Width != info.Width || f.Height != info.Height || len(f.Pix) != f.Stride*f.Height || f.Format != title.RGBA {
			t.Errorf("%+v: info %+v frame %dx%d, %v", o, info, f.Width, f.Height, err)
		}
		if _, ok := tt.(title.Snapshotter); !ok {
			t.Error("not a Snapshotter")
		}
		tt.Close()
		if tt.Close() != nil {
			t.Error("second Close failed")
		}
		if _, err := tt.Render(time.Now()); err == nil {
			t.Error("Render after Close succeeded")
		}
	}
	for _, o := range []title.Options{{Width: 100, Height: 100}, {Width: 100000}, {FPS: -1}, {FPS: 1000}} {
		if _, err := d.New(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func TestRenderDoesNotAllocate(t *testing.T) {
	g := newTest(t, 3)
	g.Input(key(input.KeySpace, true))
	g.Input(key(input.KeyUp, true))
	g.Input(key(input.KeyLeft, true))
	now := time.Unix(0, 0)
	if n := testing.AllocsPerRun(300, func() {
		now = now.Add(stepDur)
		g.Render(now)
	}); n != 0 {
		t.Errorf("Render allocates %.2f times a frame", n)
	}
}

func TestDrawsWrappedObjects(t *testing.T) {
	g := calm(newTest(t, 1))
	g.addRock(3, vec{5, 360}, vec{}) // straddles the left edge
	g.draw()
	px := g.frame.Pix[360*g.frame.Stride+4*(g.w.Width-20):]
	if got := raster.RGB(px[0], px[1], px[2]); got != rockFill {
		t.Errorf("pixel inside the wrapped half of the rock is %06x, want %06x", got, rockFill)
	}
}
