// Package rocks is a built-in arcade game: a ship in a wrap-around field of
// drifting rocks that split when shot. It exists so a player has something
// real to play on an edge without any game install, and so streaming is
// exercised with the kind of picture games make: sparse sharp objects
// moving over a still background.
//
// The whole game is software-rendered into a reused RGBA buffer. The
// simulation runs at a fixed 60 steps a second whatever the frame rate, so
// it is deterministic for a given seed and input sequence, and its state can
// be saved and restored (title.Snapshotter) when a player moves to another
// edge.
package rocks

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"stratus/input"
	"stratus/title"
	"stratus/title/builtin/raster"
)

// Defaults used when Options leave a field zero.
const (
	DefaultWidth  = 1280
	DefaultHeight = 720
	DefaultFPS    = 60
)

// Size limits: below this the HUD and the rocks no longer fit together.
const (
	minWidth, minHeight = 480, 320
	maxSide             = 8192
)

// Clock handling. A Render catches the simulation up with the time passed
// to it in whole steps; slack lets a frame that arrives a little early
// still take its step (frame timing jitters by a few milliseconds, and a
// strict comparison would alternate zero and two steps, which shows as
// judder); maxCatchUp bounds the steps after a stall so the game resumes
// rather than fast-forwarding into a crash.
const (
	stepDur    = time.Second / 60
	slack      = stepDur / 4
	maxCatchUp = 6
)

// Descriptor is the catalog entry for the game.
func Descriptor() title.Descriptor {
	return title.Descriptor{
		ID:          "rocks",
		Name:        "Rocks",
		Description: "Arcade space shooter: steer your ship through a drifting rock field and blast every rock, which splits into smaller ones.",
		Inputs:      []string{"keyboard", "mouse", "gamepad", "touch"},
		Width:       DefaultWidth,
		Height:      DefaultHeight,
		FPS:         DefaultFPS,
		New: func(o title.Options) (title.Title, error) {
			g, err := New(o)
			if err != nil {
				return nil, err // not a typed nil inside the interface
			}
			return g, nil
		},
	}
}

// Game is one running instance.
type Game struct {
	info title.Info
	w    world
	pcg  *rand.PCG
	rng  *rand.Rand
	ctl  controls
	sfx  sound

	// Clock: the time of the previous Render and the simulated time owed.
	started bool
	last    time.Time
	owed    time.Duration

	canvas  *raster.Canvas
	frame   title.Frame
	bg      []byte // starfield, copied in to clear each frame
	pts     [raster.MaxPolygon]raster.Pt
	scratch []byte
	closed  bool
}

// New starts a game seeded from the clock, so every session plays a
// different rock field.
func New(o title.Options) (*Game, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	return newSeeded(o, uint64(now().UnixNano()))
}

// newSeeded starts a game whose rock field follows from seed; tests pin it.
func newSeeded(o title.Options, seed uint64) (*Game, error) {
	w, h, fps := o.Width, o.Height, o.FPS
	if w == 0 {
		w = DefaultWidth
	}
	if h == 0 {
		h = DefaultHeight
	}
	if fps == 0 {
		fps = DefaultFPS
	}
	switch {
	case w < minWidth || h < minHeight || w > maxSide || h > maxSide:
		return nil, fmt.Errorf("rocks: size %dx%d outside %dx%d..%dx%d", w, h, minWidth, minHeight, maxSide, maxSide)
	case fps < 1 || fps > 240:
		return nil, fmt.Errorf("rocks: fps %d outside 1..240", fps)
	}
	c := raster.New(w, h)
	g := &Game{
		info:    title.Info{ID: "rocks", Name: "Rocks", Width: w, Height: h, FPS: fps},
		pcg:     rand.NewPCG(seed, seed^0x9e3779b97f4a7c15),
		canvas:  c,
		frame:   title.Frame{Format: title.RGBA, Width: w, Height: h, Stride: c.Stride, Pix: c.Pix},
		bg:      starfield(w, h),
		scratch: make([]byte, 0, 64),
	}
	g.rng = rand.New(g.pcg)
	g.w = world{
		Width:     w,
		Height:    h,
		Rocks:     make([]rock, 0, maxRocks),
		Bullets:   make([]bullet, 0, maxBullets),
		Particles: make([]particle, 0, maxParticles),
	}
	g.reset()
	return g, nil
}

// Info describes the instance.
func (g *Game) Info() title.Info { return g.info }

// Input applies one player event to the held controls; the simulation
// reads them at its next step.
func (g *Game) Input(ev input.Event) { g.ctl.apply(ev) }

// Render advances the game to now and draws it.
func (g *Game) Render(now time.Time) (*title.Frame, error) {
	if g.closed {
		return nil, errors.New("rocks: render after close")
	}
	g.advance(now)
	g.draw()
	return &g.frame, nil
}

// advance runs the fixed steps that fit in the time since the last Render.
// The first Render runs one step, so input that came before it counts.
func (g *Game) advance(now time.Time) {
	if !g.started {
		g.started, g.last, g.owed = true, now, 0
		g.tick()
		return
	}
	g.owed += max(now.Sub(g.last), 0) // a clock stepping back owes nothing
	g.last = now
	g.owed = min(g.owed, maxCatchUp*stepDur)
	for g.owed >= stepDur-slack {
		g.owed -= stepDur
		g.tick()
	}
}

// tick is one simulation step with the controls as they are now.
func (g *Game) tick() {
	g.step(g.ctl.intent(float64(g.w.Width), float64(g.w.Height)))
}

// Close releases the frame buffer; it is safe to call twice.
func (g *Game) Close() error {
	g.closed = true
	g.canvas.Pix, g.frame.Pix, g.bg = nil, nil, nil
	return nil
}
