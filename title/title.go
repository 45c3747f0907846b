// Package title defines what a game is to Stratus: something that takes
// player input and renders frames at a fixed rate. Session and stream code
// only ever see these interfaces, so new runtimes (a game process on a
// virtual display, a GPU-rendered title) plug in as new implementations.
package title

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"stratus/input"
)

// PixelFormat says how a Frame's bytes are laid out.
type PixelFormat int

const (
	// RGBA is 4 bytes a pixel in memory order R, G, B, A (Go's image.RGBA).
	RGBA PixelFormat = iota
	// BGRA is 4 bytes a pixel in memory order B, G, R, A (X11 and most
	// capture APIs).
	BGRA
)

func (f PixelFormat) String() string {
	switch f {
	case RGBA:
		return "rgba"
	case BGRA:
		return "bgra"
	}
	return fmt.Sprintf("format(%d)", int(f))
}

// Frame is one rendered picture in system memory. A GPU runtime would add a
// format whose pixels stay on the device; the encoder side decides whether it
// can take it directly.
type Frame struct {
	Format PixelFormat
	Width  int
	Height int
	Stride int // bytes from one row to the next
	Pix    []byte
}

// Info describes a running title instance.
type Info struct {
	ID     string
	Name   string
	Width  int
	Height int
	FPS    int
	// Renderer names what draws the picture when it is not the edge's
	// own code: a GPU ("NVIDIA H200/PCIe/SSE2") or Mesa on the CPU.
	Renderer string
}

// Title is one running instance of a game, owned by one session.
//
// The session calls every method from a single goroutine: Input for each
// event that arrived since the last frame, then Render, at the title's frame
// rate. Implementations therefore need no locking of their own, and must not
// block: Render should take well under one frame interval.
type Title interface {
	Info() Info
	// Input applies one player event.
	Input(ev input.Event)
	// Render draws the frame for time now. The returned frame stays valid
	// until the next call of Render or Close.
	Render(now time.Time) (*Frame, error)
	// Close releases the instance. It is safe to call twice.
	Close() error
}

// Titles that make sound deliver it at this format: what WebRTC's Opus
// carries without resampling.
const (
	AudioRate     = 48000
	AudioChannels = 2
)

// AudioSource is implemented by titles that make sound. ReadAudio fills pcm
// with the next interleaved stereo samples at AudioRate (silence when
// quiet). The session calls it from its goroutine, between frames, like
// Render, so it must not block.
type AudioSource interface {
	ReadAudio(pcm []int16)
}

// Snapshotter is implemented by titles whose state can be saved and restored,
// so that a player moved to another edge resumes where they were.
type Snapshotter interface {
	Snapshot() ([]byte, error)
	Restore(state []byte) error
}

// Options configure a new instance. Zero values mean the title's defaults.
type Options struct {
	// Session is the id of the session the instance is for; runtimes
	// that keep per-session state on disk name it after this.
	Session string
	Width   int
	Height  int
	FPS     int
	// Now is the clock the title uses for anything it displays; nil means
	// time.Now. Tests pin it.
	Now func() time.Time
}

// Descriptor is a catalog entry: what a player sees before starting a title,
// and how to start one.
type Descriptor struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Inputs lists the input kinds the title reacts to: "keyboard", "mouse",
	// "gamepad", "touch".
	Inputs []string `json:"inputs"`
	Width  int      `json:"width"`
	Height int      `json:"height"`
	FPS    int      `json:"fps"`
	// SessionLimit ends a session after this long; 0: no limit.
	SessionLimit time.Duration `json:"-"`
	// Keep is what the title holds on to when the link is too thin for
	// its full size and rate.
	Keep Keep `json:"keep,omitempty"`

	New func(Options) (Title, error) `json:"-"`
}

// Keep says what a title keeps when the bitrate is too low for its full
// picture: the frame rate (a shooter: drop resolution first) or the
// resolution (a strategy game: drop frames first).
type Keep string

// The values of Keep; the empty Keep means KeepFramerate, because most
// games suffer more from a halved frame rate than from a softer picture.
const (
	KeepFramerate  Keep = "framerate"
	KeepResolution Keep = "resolution"
	// KeepAll turns the ladder off: for the built-in testpattern, whose
	// picture machines read (the checker and the latency harnesses sample
	// its barcode at fixed pixels), so a smaller picture would be misread.
	// Studios' manifests cannot ask for it: their players would get a
	// starved picture instead of a smaller one.
	KeepAll Keep = "all"
)

// Valid reports whether k is empty or one of the known values.
func (k Keep) Valid() bool {
	return k == "" || k == KeepFramerate || k == KeepResolution || k == KeepAll
}

// ErrEnded is wrapped by Render's error when the game itself has ended (its
// program exited). The session then ends with that error as the reason the
// player reads.
var ErrEnded = errors.New("game exited")

// ErrUnknown is returned for a title ID that the catalog does not hold.
var ErrUnknown = errors.New("unknown title")

// Catalog is a set of titles by ID. It is built once at start-up and then
// only read, so it is safe for concurrent readers.
type Catalog struct {
	byID map[string]Descriptor
}

// NewCatalog builds a catalog; IDs must be unique and every entry must have
// a constructor.
func NewCatalog(ds ...Descriptor) (*Catalog, error) {
	c := &Catalog{byID: make(map[string]Descriptor, len(ds))}
	var errs []error
	for _, d := range ds {
		switch {
		case d.ID == "":
			errs = append(errs, fmt.Errorf("title %q: empty id", d.Name))
		case d.New == nil:
			errs = append(errs, fmt.Errorf("title %q: no constructor", d.ID))
		case c.byID[d.ID].ID != "":
			errs = append(errs, fmt.Errorf("title %q: duplicate id", d.ID))
		default:
			c.byID[d.ID] = d
		}
	}
	return c, errors.Join(errs...)
}

// Get returns the descriptor for id, or ErrUnknown.
func (c *Catalog) Get(id string) (Descriptor, error) {
	d, ok := c.byID[id]
	if !ok {
		return Descriptor{}, fmt.Errorf("%w %q", ErrUnknown, id)
	}
	return d, nil
}

// List returns every descriptor, sorted by ID.
func (c *Catalog) List() []Descriptor {
	out := make([]Descriptor, 0, len(c.byID))
	for _, d := range c.byID {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
