//go:build cgo

package x11

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// xvfb starts a private X server at w×h with a black root window (-br, as
// the runtime starts it) and returns its display name. It lets Xvfb pick a
// free display (-displayfd), so tests never collide.
func xvfb(t testing.TB, w, h int) (string, *exec.Cmd) { return xvfbDepth(t, w, h, 24) }

// xvfbDepth is xvfb with a given depth and extra server arguments.
func xvfbDepth(t testing.TB, w, h, depth int, extra ...string) (string, *exec.Cmd) {
	t.Helper()
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Fatalf("Xvfb not found (install the Debian package xvfb): %v", err)
	}
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	args := []string{"-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx%d", w, h, depth), "-nolisten", "tcp", "-noreset", "-br"}
	cmd := exec.Command(bin, append(args, extra...)...)
	cmd.ExtraFiles = []*os.File{wr}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	wr.Close()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			t.Fatal("Xvfb exited before naming its display")
		}
		t.Cleanup(func() {
			os.Remove("/tmp/.X" + n + "-lock")
			os.Remove("/tmp/.X11-unix/X" + n)
		})
		return ":" + n, cmd
	case <-time.After(5 * time.Second):
		t.Fatal("Xvfb did not name its display within 5s")
	}
	return "", nil
}

func TestCapture(t *testing.T) {
	name, _ := xvfb(t, 320, 240)
	d, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if w, h := d.Size(); w != 320 || h != 240 {
		t.Fatalf("Size = %dx%d, want 320x240", w, h)
	}
	for i := 0; i < 3; i++ {
		f, err := d.Capture()
		if err != nil {
			t.Fatal(err)
		}
		if f.Width != 320 || f.Height != 240 || f.Stride < 320*4 || len(f.Pix) < f.Stride*f.Height {
			t.Fatalf("frame %dx%d stride %d len %d", f.Width, f.Height, f.Stride, len(f.Pix))
		}
	}
}

func TestInput(t *testing.T) {
	name, _ := xvfb(t, 320, 240)
	d, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	steps := []struct {
		what string
		do   func() error
	}{
		{"key a down", func() error { return d.Key(0x61, true) }},
		{"key a up", func() error { return d.Key(0x61, false) }},
		{"move to", func() error { return d.MoveTo(10, 20) }},
		{"move by", func() error { return d.MoveBy(-5, 7) }},
		{"left down", func() error { return d.Button(ButtonLeft, true) }},
		{"left up", func() error { return d.Button(ButtonLeft, false) }},
		{"wheel", func() error { return d.Button(ButtonWheelDown, true) }},
		{"flush", d.Flush},
		{"sync", d.Sync},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Errorf("%s: %v", s.what, err)
		}
	}
	if err := d.Key(0x1234567, true); err == nil || !strings.Contains(err.Error(), "not in the keymap") {
		t.Errorf("unknown keysym: err = %v", err)
	}
	for _, b := range []int{0, 10, -1} {
		if err := d.Button(b, true); err == nil {
			t.Errorf("Button(%d) accepted", b)
		}
	}
}

// A 16-bit screen has no BGRA frames to give: Open says so.
func TestOpenRejectsDepth16(t *testing.T) {
	name, _ := xvfbDepth(t, 320, 240, 16)
	_, err := Open(name)
	if err == nil || !strings.Contains(err.Error(), "depth 16, 16 bits per pixel") || !strings.Contains(err.Error(), "capture needs 32-bit") {
		t.Fatalf("Open on a 16-bit screen = %v", err)
	}
}

func TestOpenNoServer(t *testing.T) {
	if _, err := Open(":999"); err == nil || !strings.Contains(err.Error(), "cannot open display :999") {
		t.Fatalf("Open(:999) = %v", err)
	}
}

func TestCloseTwice(t *testing.T) {
	name, _ := xvfb(t, 320, 240)
	d, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Capture(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Capture after Close = %v, want ErrClosed", err)
	}
}

// A dead X server must come back as ErrLost, not as Xlib's exit(1): the
// test binary surviving to the asserts is the point.
func TestServerDies(t *testing.T) {
	name, cmd := xvfb(t, 320, 240)
	d, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Capture(); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Kill()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err = d.Capture()
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond) // the kill takes effect asynchronously
	}
	if !errors.Is(err, ErrLost) {
		t.Fatalf("Capture after the server died = %v, want ErrLost", err)
	}
	for what, err := range map[string]error{
		"key":   d.Key(0x61, true),
		"move":  d.MoveTo(1, 1),
		"flush": d.Flush(),
		"sync":  d.Sync(),
	} {
		if !errors.Is(err, ErrLost) {
			t.Errorf("%s after the server died = %v, want ErrLost", what, err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}
