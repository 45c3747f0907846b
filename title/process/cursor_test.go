package process

import (
	"bytes"
	"image"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"stratus/input"
	"stratus/title"
)

// idle is a game that draws nothing, so the frame is Xvfb's black root
// window and whatever the runtime draws over it.
var idle = map[string]string{"game": "exec sleep 1000"}

// lit is the bounding box of the frame's non-black pixels.
func lit(f *title.Frame) image.Rectangle {
	var r image.Rectangle
	for y := 0; y < f.Height; y++ {
		for x := 0; x < f.Width; x++ {
			p := f.Pix[y*f.Stride+x*4:]
			if p[0]|p[1]|p[2] != 0 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

// pointAt moves the pointer as a player's page does and renders.
func pointAt(t *testing.T, i *Instance, x, y uint16) *title.Frame {
	t.Helper()
	i.Input(input.Event{Kind: input.KindMouseMove, X: x, Y: y})
	f, err := i.Render(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// The pointer shows in the frames by default, where the player put it: the
// X server's cursor is a 16×16 X with its hot spot in the middle.
func TestCursorInFrames(t *testing.T) {
	i := start(t, newRuntime(t, t.TempDir()), installDir(t, idle), testManifest("game"))
	for _, at := range []image.Point{{320, 180}, {100, 250}} {
		// 0..65535 over 640×360, as moveTo rounds it.
		f := pointAt(t, i, uint16((at.X*65535+319)/639), uint16((at.Y*65535+179)/359))
		box := lit(f)
		if box.Empty() || !box.In(image.Rectangle{at.Sub(image.Pt(8, 8)), at.Add(image.Pt(9, 9))}) || !at.In(box) {
			t.Errorf("pointer at %v: lit pixels in %v, want a cursor around it", at, box)
		}
	}
	if unmapped, failed := i.InputStats(); unmapped+failed != 0 {
		t.Errorf("InputStats = %d, %d", unmapped, failed)
	}
}

// Config.NoCursor keeps the frames as the game drew them.
func TestNoCursor(t *testing.T) {
	r := newRuntimeWith(t, Config{RunDir: t.TempDir(), NoCursor: true})
	i := start(t, r, installDir(t, idle), testManifest("game"))
	if box := lit(pointAt(t, i, 32768, 32768)); !box.Empty() {
		t.Fatalf("NoCursor: lit pixels in %v", box)
	}
}

// lockedBuffer is a log destination that goroutines may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// An X server without XFIXES runs the game all the same, without the
// pointer, and Start says so once.
func TestCursorWithoutXFixes(t *testing.T) {
	xvfb := need(t, "Xvfb", "xvfb")
	wrapper := filepath.Join(installDir(t, map[string]string{"xvfb": `exec ` + xvfb + ` "$@" -extension XFIXES`}), "xvfb")
	var log lockedBuffer
	r := newRuntimeWith(t, Config{RunDir: t.TempDir(), Xvfb: wrapper, Log: slog.New(slog.NewTextHandler(&log, nil))})
	i := start(t, r, installDir(t, idle), testManifest("game"))
	for range 3 {
		if box := lit(pointAt(t, i, 32768, 32768)); !box.Empty() {
			t.Fatalf("without XFIXES: lit pixels in %v", box)
		}
	}
	const want = "frames will not show the pointer"
	if got := log.String(); strings.Count(got, want) != 1 || !strings.Contains(got, "no XFIXES extension") {
		t.Fatalf("log:\n%s\nwant %q once, naming XFIXES", got, want)
	}
}
