// Package testpattern is the measurement title. Every frame carries, in a
// strip of black and white cells at its top-left corner, the time it was
// rendered and how many input events the title had seen, so a tool that
// decodes the video at the player's end can measure glass-to-glass latency
// and input round trips without trusting any clock but its own and the
// edge's. The rest of the picture keeps moving so the encoder does real
// work, and spells out the same numbers and the last input for people.
//
// The cell layout is a contract with external decoders; change it only
// together with them.
package testpattern

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"stratus/input"
	"stratus/title"
	"stratus/title/builtin/raster"
)

// Cell layout. Row 0 (y 0..15) holds the render time in Unix milliseconds
// modulo 2^32, row 1 (y 16..31) the count of input events received modulo
// 2^32; each row is Cells cells of CellSize×CellSize pixels from x 0, most
// significant bit leftmost, white for 1 and black for 0.
const (
	CellSize = 16
	Cells    = 32
	Rows     = 2
	// Guard is the black margin right of and below the cells, so that
	// compression artefacts from the moving picture don't reach them.
	Guard = 4
	// BandW and BandH bound the black band that holds cells and guard.
	BandW = Cells*CellSize + Guard
	BandH = Rows*CellSize + Guard
)

// Defaults used when Options leave a field zero.
const (
	DefaultWidth  = 1280
	DefaultHeight = 720
	DefaultFPS    = 60
)

// Size limits: the cell band must fit, and a frame larger than 8K is a
// mistake rather than a test.
const (
	minWidth, minHeight = BandW, BandH + 4
	maxSide             = 8192
)

// Descriptor is the catalog entry for the test pattern. Its instances
// share their background (read only), drawn once per size: drawing it is
// most of an instance's start, which a player's join waits for.
func Descriptor() title.Descriptor {
	bars := &barsCache{}
	return title.Descriptor{
		ID:          "testpattern",
		Name:        "Test pattern",
		Description: "Moving test card that encodes render time and input count for latency measurement.",
		Inputs:      []string{"keyboard", "mouse", "gamepad", "touch"},
		Width:       DefaultWidth,
		Height:      DefaultHeight,
		FPS:         DefaultFPS,
		Keep:        title.KeepAll,
		New: func(o title.Options) (title.Title, error) {
			p, err := start(o, bars)
			if err != nil {
				return nil, err // not a typed nil inside the interface
			}
			return p, nil
		},
	}
}

// Pattern is one running test pattern.
type Pattern struct {
	// samples counts the audio samples (per channel) produced so far.
	samples int
	info    title.Info
	canvas  *raster.Canvas
	frame   title.Frame
	// bars is the pre-rendered background, scrolled into the canvas each
	// frame; it repeats seamlessly in both directions.
	bars   []byte
	header string

	frames  uint64
	inputs  uint32
	last    string
	scratch []byte
	closed  bool
}

// New starts a test pattern. Options.Now is not consulted: everything the
// pattern shows derives from the time passed to Render, which is what the
// cells must carry.
func New(o title.Options) (*Pattern, error) { return start(o, nil) }

// start starts a test pattern whose background comes from bars (nil:
// drawn for it alone).
func start(o title.Options, bars *barsCache) (*Pattern, error) {
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
		return nil, fmt.Errorf("testpattern: size %dx%d outside %dx%d..%dx%d", w, h, minWidth, minHeight, maxSide, maxSide)
	case fps < 1 || fps > 240:
		return nil, fmt.Errorf("testpattern: fps %d outside 1..240", fps)
	}
	c := raster.New(w, h)
	p := &Pattern{
		info:    title.Info{ID: "testpattern", Name: "Test pattern", Width: w, Height: h, FPS: fps},
		canvas:  c,
		frame:   title.Frame{Format: title.RGBA, Width: w, Height: h, Stride: c.Stride, Pix: c.Pix},
		bars:    bars.get(w, h),
		header:  fmt.Sprintf("STRATUS TEST PATTERN  %dx%d @ %d fps", w, h, fps),
		last:    "none yet",
		scratch: make([]byte, 0, 64),
	}
	return p, nil
}

// Info describes the instance.
func (p *Pattern) Info() title.Info { return p.info }

// Input counts every event a player makes (pings are the page measuring
// its own path, not play) and remembers the last one for display.
func (p *Pattern) Input(ev input.Event) {
	if !ev.Counts() {
		return
	}
	p.inputs++ // wraps at 2^32, as the cells do
	p.last = ev.String()
}

// Inputs is the number of counted events so far, modulo 2^32.
func (p *Pattern) Inputs() uint32 { return p.inputs }

// Close releases the frame buffer; it is safe to call twice.
func (p *Pattern) Close() error {
	p.closed = true
	p.canvas.Pix, p.bars, p.frame.Pix = nil, nil, nil
	return nil
}

// Render draws the frame for now.
func (p *Pattern) Render(now time.Time) (*title.Frame, error) {
	if p.closed {
		return nil, errors.New("testpattern: render after close")
	}
	p.frames++
	ms := now.UnixMilli()
	p.drawBackground(ms)
	p.drawBox(ms)
	p.drawPanel(now)
	p.drawCells(uint32(ms), p.inputs)
	return &p.frame, nil
}

// barsCache keeps the backgrounds drawn so far, by size, for instances to
// share: Render only reads them. Its methods may be called from any
// goroutine, and on a nil cache (which draws every time).
type barsCache struct {
	mu sync.Mutex
	by map[[2]int][]byte
}

// maxCachedBars bounds the sizes kept: a catalog runs the pattern at its
// one size, tests at a few more.
const maxCachedBars = 4

func (c *barsCache) get(w, h int) []byte {
	if c == nil {
		return makeBars(w, h)
	}
	k := [2]int{w, h}
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.by[k]; ok {
		return b
	}
	b := makeBars(w, h)
	if c.by == nil {
		c.by = map[[2]int][]byte{}
	}
	if len(c.by) < maxCachedBars {
		c.by[k] = b
	}
	return b
}
