package process

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A failed start leaves nothing behind: no process, no record, no scratch
// directory.
func TestStartFailures(t *testing.T) {
	fakes := installDir(t, map[string]string{
		"dies":  "echo 'Fatal server error: no screens found' >&2; exit 1",
		"hangs": "exec sleep 1000",
	})
	tests := []struct {
		name, xvfb, want string
	}{
		{"X server dies", filepath.Join(fakes, "dies"), "Xvfb exited before reporting its display: Fatal server error: no screens found"},
		{"X server hangs", filepath.Join(fakes, "hangs"), "Xvfb did not report a display within 300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			passable(t, dir)
			r, err := NewRuntime(Config{RunDir: dir, Xvfb: tt.xvfb, StartTimeout: 300 * time.Millisecond,
				Log: slog.New(slog.DiscardHandler), Sandbox: newSandbox(t, dir)})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			sess := session(t)
			_, err = r.Start(Spec{Session: sess, InstallDir: installDir(t, map[string]string{"game": "exit 0"}), Manifest: testManifest("game")})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start = %v, want %q", err, tt.want)
			}
			assertGone(t, sess, -1, filepath.Join(r.dirs.sessions, sess+".json"), filepath.Join(r.dirs.tmp, sess))
		})
	}
}

func TestStartRefuses(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	dir := leakyDir(t, leaky)
	i := start(t, r, dir, testManifest("game"))
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"duplicate session", Spec{Session: i.spec.Session, InstallDir: dir, Manifest: testManifest("game")}, "already runs"},
		{"bad session", Spec{Session: "../x", InstallDir: dir, Manifest: testManifest("game")}, "session ID"},
		{"bad command", Spec{Session: "other", InstallDir: dir, Manifest: testManifest("missing")}, "not found"},
	}
	for _, tt := range tests {
		if _, err := r.Start(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Start = %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := i.Render(time.Now()); err != nil {
		t.Fatalf("the running instance broke: %v", err)
	}
}

// Close may come from another goroutine while the session renders.
func TestCloseWhileRendering(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	i := start(t, r, leakyDir(t, leaky), testManifest("game"))
	ended := make(chan error)
	var frames atomic.Int64
	go func() {
		for {
			if _, err := i.Render(time.Now()); err != nil {
				ended <- err
				return
			}
			frames.Add(1)
		}
	}()
	eventually(t, 3*time.Second, "no frames rendered", func() bool { return frames.Load() >= 3 })
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); i.Close() }()
	}
	wg.Wait()
	if err := <-ended; !errors.Is(err, ErrClosed) {
		t.Fatalf("Render during Close = %v, want ErrClosed", err)
	}
	assertGone(t, i.spec.Session, i.display)
}

// The edge's exit stops every instance at once and refuses new ones.
func TestRuntimeClose(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	dir := leakyDir(t, leaky)
	var all []*Instance
	for _, s := range []string{"a", "b"} {
		i, err := r.Start(Spec{Session: session(t) + s, InstallDir: dir, Manifest: testManifest("game")})
		if err != nil {
			t.Fatal(err)
		}
		defer i.Close()
		all = append(all, i)
		running(t, i.spec.Session, "sleep 1000", "xev")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	for _, i := range all {
		assertGone(t, i.spec.Session, i.display, i.recPath)
		if _, err := i.Render(time.Now()); !errors.Is(err, ErrClosed) {
			t.Errorf("Render after Runtime.Close = %v", err)
		}
	}
	if _, err := r.Start(Spec{Session: "late", InstallDir: dir, Manifest: testManifest("game")}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Start after Close = %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(all[0].Log()); err != nil {
		t.Fatalf("log removed: %v", err)
	}
}
