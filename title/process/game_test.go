package process

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"stratus/input"
	"stratus/title"
)

// glxgears is a real third-party OpenGL program: the frames must show it
// drawing (not black) and moving (different from one capture to the next).
func TestGlxgearsFrames(t *testing.T) {
	gears := need(t, "glxgears", "mesa-utils")
	r := newRuntime(t, t.TempDir())
	i := start(t, r, installDir(t, map[string]string{"glxgears": "copy:" + gears}), testManifest("glxgears"))
	if got := i.Info(); got.Width != 640 || got.Height != 360 || got.FPS != 30 || got.ID != "test-title" {
		t.Fatalf("Info = %+v", got)
	}
	var prev []byte
	eventually(t, 5*time.Second, "no moving, non-black picture from glxgears", func() bool {
		f, err := i.Render(time.Now())
		if err != nil {
			t.Fatalf("Render: %v (log: %s)", err, readLog(t, i))
		}
		if f.Format != title.BGRA || f.Width != 640 || f.Height != 360 || f.Stride < 640*4 {
			t.Fatalf("frame %v %dx%d stride %d", f.Format, f.Width, f.Height, f.Stride)
		}
		lit := 0
		for p := 0; p+3 < len(f.Pix); p += 4 {
			if f.Pix[p]|f.Pix[p+1]|f.Pix[p+2] != 0 {
				lit++
			}
		}
		moved := prev != nil && !bytes.Equal(prev, f.Pix)
		prev = append(prev[:0], f.Pix...)
		return lit > 1000 && moved
	})
}

// xev prints every event it receives, so its log shows what the game saw.
func startXev(t *testing.T, events ...string) *Instance {
	t.Helper()
	xev := need(t, "xev", "x11-utils")
	args := []string{"-geometry", "400x300+0+0", "-event", "structure"}
	for _, e := range events {
		args = append(args, "-event", e)
	}
	i := start(t, newRuntime(t, t.TempDir()), installDir(t, map[string]string{"xev": "copy:" + xev}), testManifest("xev", args...))
	// Input sent before the window is mapped would go to the root window.
	eventually(t, 5*time.Second, "xev never mapped its window", func() bool {
		return strings.Contains(readLog(t, i), "MapNotify")
	})
	return i
}

func TestKeyboard(t *testing.T) {
	i := startXev(t, "keyboard")
	// With no window manager the focus follows the pointer: put it on xev.
	i.Input(input.Event{Kind: input.KindMouseMove, X: 10000, Y: 10000})
	keys := []struct {
		code uint16
		want string // as xev prints the keysym
	}{
		{'A', "keysym 0x61, a)"},
		{'7', "keysym 0x37, 7)"},
		{input.KeyEnter, "keysym 0xff0d, Return)"},
		{input.KeySpace, "keysym 0x20, space)"},
		{input.KeyLeft, "keysym 0xff51, Left)"},
		{input.KeyShift, "keysym 0xffe1, Shift_L)"},
		{input.KeyEscape, "keysym 0xff1b, Escape)"},
		{112, "keysym 0xffbe, F1)"},
	}
	for _, k := range keys {
		i.Input(input.Event{Kind: input.KindKeyDown, Code: k.code})
		i.Input(input.Event{Kind: input.KindKeyUp, Code: k.code})
	}
	i.Input(input.Event{Kind: input.KindKeyDown, Code: 229}) // no keysym: counted, not sent
	for _, k := range keys {
		eventually(t, 3*time.Second, "xev never saw "+k.want, func() bool {
			log := readLog(t, i)
			at := strings.Index(log, k.want)
			return at >= 0 && strings.Contains(log[:at], "KeyPress event") && strings.Count(log, k.want) >= 2 // press and release
		})
	}
	if unmapped, failed := i.InputStats(); unmapped != 1 || failed != 0 {
		t.Errorf("InputStats = %d unmapped, %d failed; want 1, 0", unmapped, failed)
	}
}

func TestMouse(t *testing.T) {
	i := startXev(t, "mouse", "button")
	steps := []struct {
		ev   input.Event
		want string
	}{
		// 0..65535 over 640×360: the middle of the window is about 200,150.
		{input.Event{Kind: input.KindMouseMove, X: 20480, Y: 27300}, "root:(200,150)"},
		{input.Event{Kind: input.KindMouseButton, Button: 0, Down: true}, "button 1,"},
		{input.Event{Kind: input.KindMouseButton, Button: 2, Down: true}, "button 3,"},
		{input.Event{Kind: input.KindMouseButton, Button: 1, Down: true}, "button 2,"},
		{input.Event{Kind: input.KindWheel, DY: 100}, "button 5,"},
		{input.Event{Kind: input.KindWheel, DY: -120}, "button 4,"},
		{input.Event{Kind: input.KindWheel, DX: 60}, ""}, // less than a click: nothing yet
		{input.Event{Kind: input.KindWheel, DX: 60}, "button 7,"},
		{input.Event{Kind: input.KindTouch, Phase: input.TouchStart, X: 6553, Y: 6553}, "root:(64,36)"},
	}
	for _, s := range steps {
		i.Input(s.ev)
		if s.want == "" {
			continue
		}
		eventually(t, 3*time.Second, "xev never printed "+s.want+" for "+s.ev.String(), func() bool {
			return strings.Contains(readLog(t, i), s.want)
		})
	}
	log := readLog(t, i)
	for _, w := range []string{"MotionNotify event", "ButtonPress event", "ButtonRelease event"} {
		if !strings.Contains(log, w) {
			t.Errorf("log lacks %q", w)
		}
	}
}

// A game that exits at once must end the session with a reason a player
// can read.
func TestGameExits(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	tests := []struct {
		name, script, want string
	}{
		{"status", "exit 3", "game exited: exit status 3"},
		{"last words", "echo 'loading data.pak' >&2; echo 'fatal: data.pak is missing' >&2; exit 1",
			"game exited: exit status 1: loading data.pak / fatal: data.pak is missing"},
		{"signal", "kill -9 $$", "game exited: killed by signal 9 (SIGKILL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := start(t, r, installDir(t, map[string]string{"game": tt.script}), testManifest("game"))
			var err error
			eventually(t, 3*time.Second, "Render kept succeeding after the game exited", func() bool {
				_, err = i.Render(time.Now())
				return err != nil
			})
			if !errors.Is(err, ErrExited) || err.Error() != tt.want {
				t.Fatalf("Render = %v, want %q", err, tt.want)
			}
			select {
			case <-i.Done():
			default:
				t.Fatal("Done not closed")
			}
			if i.Err() != err {
				t.Fatalf("Err = %v, Render said %v", i.Err(), err)
			}
		})
	}
}
