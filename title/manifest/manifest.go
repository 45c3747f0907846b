// Package manifest reads and checks the title manifest: the JSON file a game
// studio writes to tell Stratus how to run its game (runtime, command,
// picture size, input it understands, touch controls for phones, GPU needs).
//
// Parse only decodes; Validate then checks every field and reports all the
// problems at once, each named by its JSON path, so a studio fixes its file in
// one round instead of one error at a time. Checks that need the install
// directory on disk (the command exists, is executable and stays inside) are
// in ResolveCommand and ResolveWorkdir, because Validate must also work on a
// catalog server that never sees the files.
package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Runtimes a manifest may name.
const (
	// RuntimeBuiltin is a title compiled into the edge (title/builtin).
	RuntimeBuiltin = "builtin"
	// RuntimeProcess is a game process started on a virtual display.
	RuntimeProcess = "process"
)

// Manifest describes one title. Field comments give the JSON rules; schema.json
// documents the same fields for studios.
type Manifest struct {
	ID      string `json:"id"`      // lowercase letters, digits, '-', 3–40 chars
	Name    string `json:"name"`    // shown in the catalog
	Version string `json:"version"` // MAJOR.MINOR.PATCH, optional -prerelease
	Runtime string `json:"runtime"` // RuntimeBuiltin or RuntimeProcess

	// Process runtime only. Paths are slash-separated and relative to the
	// title's install directory.
	Command string            `json:"command,omitempty"`
	Args    []string          `json:"args,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	Workdir string            `json:"workdir,omitempty"`

	// Picture. A builtin title may leave them 0 to keep its own size and rate.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	FPS    int `json:"fps,omitempty"`
	// Keep is what the picture keeps when the link is thin: "framerate"
	// (the default) or "resolution".
	Keep string `json:"keep,omitempty"`

	Input Input `json:"input"`
	Audio bool  `json:"audio,omitempty"`

	// SessionLimit is a Go duration ("30m", "1h30m"); empty means no limit.
	// It stays a string so that a bad value is reported by Validate with
	// the other problems rather than aborting Parse.
	SessionLimit string `json:"session_limit,omitempty"`

	GPU     GPU      `json:"gpu"`
	Regions []string `json:"regions,omitempty"` // empty: anywhere
	// Network gives a process title the edge host's network; without it
	// the game has only a loopback of its own.
	Network bool `json:"network,omitempty"`
}

// Input says which kinds of player input the title understands, and what the
// page shows on touch screens.
type Input struct {
	Keyboard bool  `json:"keyboard,omitempty"`
	Mouse    bool  `json:"mouse,omitempty"`
	Gamepad  bool  `json:"gamepad,omitempty"`
	Touch    Touch `json:"touch"`
}

// Touch layouts.
const (
	// LayoutNone shows no touch controls; touches still reach the title as
	// touch events.
	LayoutNone = "none"
	// LayoutPointer turns touches into pointer (mouse) input.
	LayoutPointer = "pointer"
	// LayoutGamepad shows an on-screen stick and named buttons.
	LayoutGamepad = "gamepad"
)

// Sticks an on-screen gamepad layout may show: what dragging the stick sends.
const (
	StickNone    = "none"
	StickArrows  = "arrows"  // arrow keys
	StickWASD    = "wasd"    // W, A, S, D keys
	StickGamepad = "gamepad" // the gamepad's left stick
)

// Touch is the on-screen control set for phones. An empty Layout means
// LayoutNone.
type Touch struct {
	Layout  string        `json:"layout,omitempty"`
	Stick   string        `json:"stick,omitempty"`
	Buttons []TouchButton `json:"buttons,omitempty"`
}

// TouchButton is one on-screen button. It sends exactly one of Key (a key
// name as input.KeyName prints it: "Space", "Enter", "A", "F1") or Pad (a
// standard gamepad button: "A", "B", "Start", …).
type TouchButton struct {
	Label string `json:"label"`
	Key   string `json:"key,omitempty"`
	Pad   string `json:"pad,omitempty"`
}

// GPU states what the title needs from the edge's graphics card.
type GPU struct {
	Required     bool `json:"required,omitempty"`
	MinMemoryMiB int  `json:"min_memory_mib,omitempty"`
	NVENC        bool `json:"nvenc,omitempty"` // needs a hardware H.264 encoder
	// Render lists the graphics APIs the game draws with (RenderOpenGL,
	// RenderVulkan); the edge then runs it on a GPU's driver where one
	// can render them. Process runtime only.
	Render []string `json:"render,omitempty"`
	// Fallback says what happens when no GPU can render for a session:
	// FallbackCPU renders with Mesa on the CPU, FallbackRefuse turns the
	// player away. Empty means FallbackCPU, or FallbackRefuse when
	// Required is set.
	Fallback string `json:"fallback,omitempty"`
}

// Graphics APIs a title may render with.
const (
	RenderOpenGL = "opengl"
	RenderVulkan = "vulkan"
)

// What a GPU-rendering title does when no GPU can render for it.
const (
	FallbackCPU    = "cpu"
	FallbackRefuse = "refuse"
)

// Renders reports whether the title draws with api.
func (g GPU) Renders(api string) bool { return slices.Contains(g.Render, api) }

// FallbackOrDefault is Fallback with its default filled in.
func (g GPU) FallbackOrDefault() string {
	switch {
	case g.Fallback != "":
		return g.Fallback
	case g.Required:
		return FallbackRefuse
	}
	return FallbackCPU
}

// Parse decodes a manifest. Unknown fields are errors so that a misspelt key
// is reported instead of silently ignored. Errors carry the line and column.
// Parse does not validate: call Validate on the result.
func Parse(data []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, decodeError(data, err)
	}
	// A second value after the object is almost always a paste mistake.
	if _, err := dec.Token(); err != io.EOF {
		line, col := position(data, dec.InputOffset())
		return Manifest{}, fmt.Errorf("manifest %d:%d: unexpected data after the top-level object", line, col)
	}
	return m, nil
}

// decodeError rewrites encoding/json's errors into "manifest LINE:COL: …".
func decodeError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the offending byte too; point at that byte.
		line, col := position(data, syn.Offset-1)
		return fmt.Errorf("manifest %d:%d: %v", line, col, syn)
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset)
		field := typ.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Errorf("manifest %d:%d: %s: got JSON %s, want %s", line, col, field, typ.Value, typ.Type)
	case err == io.EOF:
		return errors.New("manifest: empty input")
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := position(data, int64(len(data)))
		return fmt.Errorf("manifest %d:%d: unexpected end of input", line, col)
	}
	// encoding/json reports an unknown field by name only, after reading the
	// whole object, so find the key's first occurrence ourselves: good
	// enough to send the author to the right line.
	if _, name, ok := strings.Cut(err.Error(), "unknown field "); ok {
		if key, uerr := strconv.Unquote(name); uerr == nil {
			if i := bytes.Index(data, []byte(strconv.Quote(key))); i >= 0 {
				line, col := position(data, int64(i))
				return fmt.Errorf("manifest %d:%d: unknown field %q", line, col, key)
			}
			return fmt.Errorf("manifest: unknown field %q", key)
		}
	}
	return fmt.Errorf("manifest: %w", err)
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = 1 + len(before) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, col
}

// SessionDuration is SessionLimit parsed; 0 means no limit or an invalid
// value (Validate reports the latter).
func (m Manifest) SessionDuration() time.Duration {
	d, err := time.ParseDuration(m.SessionLimit)
	if err != nil || d < 0 {
		return 0
	}
	return d
}

// Inputs lists the input kinds the title takes, in a fixed order, for the
// catalog page.
func (m Manifest) Inputs() []string {
	var kinds []string
	if m.Input.Keyboard {
		kinds = append(kinds, "keyboard")
	}
	if m.Input.Mouse {
		kinds = append(kinds, "mouse")
	}
	if m.Input.Gamepad {
		kinds = append(kinds, "gamepad")
	}
	if l := m.Input.Touch.Layout; l != "" && l != LayoutNone {
		kinds = append(kinds, "touch")
	}
	return kinds
}
