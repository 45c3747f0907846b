package rocks

import (
	"math"
	"testing"

	"stratus/input"
)

func TestShoot(t *testing.T) {
	tests := []struct {
		name   string
		events []input.Event
	}{
		{"space", []input.Event{key(input.KeySpace, true)}},
		{"mouse left", []input.Event{{Kind: input.KindMouseButton, Button: 0, Down: true}}},
		{"pad A", []input.Event{pad(input.PadA)}},
		{"pad X", []input.Event{pad(input.PadX)}},
		{"pad RT button", []input.Event{pad(input.PadRT)}},
		{"pad RT analog", []input.Event{{Kind: input.KindGamepad, RT: 200}}},
		{"second pad", []input.Event{{Kind: input.KindGamepad, Pad: 3, Buttons: 1 << input.PadA}}},
		{"touch tap", []input.Event{touch(1, input.TouchStart, 0.5, 0.1), touch(1, input.TouchEnd, 0.5, 0.1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := calm(newTest(t, 1))
			for _, e := range tt.events {
				g.Input(e)
			}
			g.tick()
			if len(g.w.Bullets) != 1 {
				t.Fatalf("%d bullets after one step, want 1", len(g.w.Bullets))
			}
			b := g.w.Bullets[0]
			if !angleNear(b.Vel.angle(), g.w.Ship.Angle) || math.Abs(b.Vel.len()-bulletSpeed) > 1 {
				t.Errorf("bullet velocity %v, ship angle %.2f", b.Vel, g.w.Ship.Angle)
			}
		})
	}
}

func TestHeldFireIsRateLimited(t *testing.T) {
	g := calm(newTest(t, 1))
	g.Input(key(input.KeySpace, true))
	ticks(g, 30) // half a second
	if n := len(g.w.Bullets); n < 3 || n > 4 {
		t.Errorf("%d bullets in half a second of autofire", n)
	}
	ticks(g, 300)
	if n := len(g.w.Bullets); n > maxBullets {
		t.Errorf("%d bullets alive", n)
	}
	g.Input(key(input.KeySpace, false))
	ticks(g, 120)
	if n := len(g.w.Bullets); n != 0 {
		t.Errorf("%d bullets two seconds after letting go", n)
	}
}

func TestNoInputNoMotion(t *testing.T) {
	g := calm(newTest(t, 1))
	start := g.w.Ship
	ticks(g, 60)
	if g.w.Ship.Pos != start.Pos || g.w.Ship.Angle != start.Angle || len(g.w.Bullets) != 0 {
		t.Errorf("idle ship changed: %+v -> %+v", start, g.w.Ship)
	}
}

func TestThrust(t *testing.T) {
	tests := []struct {
		name   string
		events []input.Event
	}{
		{"up", []input.Event{key(input.KeyUp, true)}},
		{"W", []input.Event{key('W', true)}},
		{"mouse right", []input.Event{{Kind: input.KindMouseButton, Button: 2, Down: true}}},
		{"pad up", []input.Event{pad(input.PadUp)}},
		{"pad B", []input.Event{pad(input.PadB)}},
		{"pad LT analog", []input.Event{{Kind: input.KindGamepad, LT: 255}}},
		{"stick pushed up", []input.Event{stick(0, -1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := calm(newTest(t, 1))
			start := g.w.Ship.Pos
			for _, e := range tt.events {
				g.Input(e)
			}
			ticks(g, 30)
			d := g.w.Ship.Pos.sub(start)
			if d.len() < 20 || d.Y > -20 {
				t.Errorf("ship moved %v in half a second of thrust, want well up the screen", d)
			}
			if !g.w.Ship.Thrusting {
				t.Error("Thrusting not set")
			}
		})
	}
}

func TestBrake(t *testing.T) {
	g := calm(newTest(t, 1))
	g.Input(key(input.KeyUp, true))
	ticks(g, 30)
	g.Input(key(input.KeyUp, false))
	v0 := g.w.Ship.Vel.len()
	g.Input(key(input.KeyDown, true))
	ticks(g, 30)
	if v := g.w.Ship.Vel.len(); v > v0*0.3 {
		t.Errorf("braking kept %.0f of %.0f px/s", v, v0)
	}
}

func TestTurn(t *testing.T) {
	up := -math.Pi / 2
	tests := []struct {
		name   string
		events []input.Event
		steps  int
		want   float64 // ship angle afterwards
	}{
		{"left arrow", []input.Event{key(input.KeyLeft, true)}, 30, up - turnSpeed/2},
		{"D", []input.Event{key('D', true)}, 30, up + turnSpeed/2},
		{"pad left", []input.Event{pad(input.PadLeft)}, 30, up - turnSpeed/2},
		{"pointer right of ship", []input.Event{pointer(0.9, 0.5)}, 10, 0},
		{"pointer below ship", []input.Event{pointer(0.5, 0.9)}, 10, math.Pi / 2},
		{"pointer lock", []input.Event{
			{Kind: input.KindMouseMove, X: 100, Y: 100},
			{Kind: input.KindMouseMove, X: 100, Y: 100, RelX: 150},
		}, 1, up + 150*mouseTurn},
		{"stick half left aims without flying", []input.Event{stick(-0.5, 0)}, 60, math.Pi},
		{"right stick aims", []input.Event{{Kind: input.KindGamepad, Axes: [4]int16{0, 0, 0, 32767}}}, 60, math.Pi / 2},
		{"stick in dead zone", []input.Event{stick(0.1, 0.1)}, 60, up},
		{"touch held left", []input.Event{touch(4, input.TouchStart, 0.1, 0.5)}, 1, math.Pi},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := calm(newTest(t, 1))
			start := g.w.Ship.Pos
			for _, e := range tt.events {
				g.Input(e)
			}
			ticks(g, tt.steps)
			if !angleNear(g.w.Ship.Angle, tt.want) {
				t.Errorf("angle %.3f, want %.3f", g.w.Ship.Angle, math.Remainder(tt.want, 2*math.Pi))
			}
			if tt.name == "stick half left aims without flying" && g.w.Ship.Pos != start {
				t.Error("half-pushed stick moved the ship")
			}
		})
	}
}

func TestKeyboardTakesOverFromPointer(t *testing.T) {
	g := calm(newTest(t, 1))
	g.Input(pointer(0.9, 0.5))
	ticks(g, 10)
	g.Input(key(input.KeyLeft, true))
	ticks(g, 30)
	if !angleNear(g.w.Ship.Angle, -turnSpeed/2) {
		t.Errorf("angle %.3f: pointer still steering after a turn key", g.w.Ship.Angle)
	}
}

func TestTapFiresTowardTap(t *testing.T) {
	g := calm(newTest(t, 1))
	// Three quick taps between two frames: three shots, the ship facing
	// the last.
	for i, x := range []float64{0.9, 0.1, 0.5} {
		g.Input(touch(uint8(i), input.TouchStart, x, 0.9))
		g.Input(touch(uint8(i), input.TouchEnd, x, 0.9))
	}
	g.tick()
	if len(g.w.Bullets) != 3 {
		t.Fatalf("%d bullets, want 3", len(g.w.Bullets))
	}
	if !angleNear(g.w.Ship.Angle, math.Pi/2) {
		t.Errorf("ship angle %.3f, want facing down at the last tap", g.w.Ship.Angle)
	}
	ticks(g, 30)
	if len(g.w.Bullets) != 3 {
		t.Error("a finished tap kept firing")
	}
}

func TestPadsCombine(t *testing.T) {
	g := calm(newTest(t, 1))
	g.Input(input.Event{Kind: input.KindGamepad, Pad: 0, Buttons: 1 << input.PadA})
	g.Input(input.Event{Kind: input.KindGamepad, Pad: 1}) // an idle second pad
	g.tick()
	if len(g.w.Bullets) != 1 {
		t.Fatal("an idle pad cancelled another pad's button")
	}
	g.Input(input.Event{Kind: input.KindGamepad, Pad: 0})
	ticks(g, 30)
	if len(g.w.Bullets) != 1 {
		t.Error("still firing after release")
	}
}

func TestHeldFinger(t *testing.T) {
	g := calm(newTest(t, 1))
	g.Input(touch(1, input.TouchStart, 0.9, 0.5))
	ticks(g, 30)
	if n := len(g.w.Bullets); n < 3 {
		t.Errorf("%d bullets in half a second of holding", n)
	}
	if !angleNear(g.w.Ship.Angle, 0) {
		t.Errorf("angle %.3f, want toward the finger on the right", g.w.Ship.Angle)
	}
	g.Input(touch(1, input.TouchMove, 0.5, 0.9))
	ticks(g, 10)
	if !angleNear(g.w.Ship.Angle, math.Pi/2) {
		t.Errorf("angle %.3f, want following the finger down", g.w.Ship.Angle)
	}
	// A second finger taps and lifts; the first keeps control.
	g.Input(touch(2, input.TouchStart, 0.1, 0.5))
	g.Input(touch(2, input.TouchEnd, 0.1, 0.5))
	ticks(g, 10)
	if !angleNear(g.w.Ship.Angle, math.Pi/2) {
		t.Errorf("angle %.3f after another finger's tap, want back on the held finger", g.w.Ship.Angle)
	}
	g.Input(touch(1, input.TouchCancel, 0.5, 0.9))
	g.w.Bullets = g.w.Bullets[:0]
	ticks(g, 30)
	if len(g.w.Bullets) != 0 {
		t.Error("still firing with no finger down")
	}
}
