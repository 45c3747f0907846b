package process

import (
	"bytes"
	"encoding/hex"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stratus/title/process/x11"
)

// The Xauthority file is what libXau reads: xauth itself lists the entry.
func TestXauthorityFile(t *testing.T) {
	xauth := need(t, "xauth", "xauth")
	dir := t.TempDir()
	path, cookie, err := writeXauthority(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	out, err := exec.Command(xauth, "-n", "-f", path, "list").CombinedOutput()
	if err != nil {
		t.Fatalf("xauth list: %v: %s", err, out)
	}
	if want := "MIT-MAGIC-COOKIE-1  " + hex.EncodeToString(cookie); !strings.Contains(string(out), want) {
		t.Errorf("xauth list = %q, want it to contain %q", out, want)
	}
	// A second cookie never reuses the file, nor the cookie.
	if _, _, err := writeXauthority(dir); err == nil {
		t.Error("writeXauthority over an existing file succeeded")
	}
	other, _ := newCookie()
	if bytes.Equal(other, cookie) {
		t.Error("two cookies are equal")
	}
}

// Only a client that presents the session's cookie reaches its display:
// the game (which gets XAUTHORITY) and the edge's capture do; another
// local process, such as another session's game, does not.
func TestDisplayNeedsCookie(t *testing.T) {
	xdpyinfo := need(t, "xdpyinfo", "x11-utils")
	r := newRuntime(t, t.TempDir())
	game := installDir(t, map[string]string{
		"game": "xdpyinfo >/dev/null 2>&1 && echo game-reached-display; exec sleep 1000",
	})
	i := start(t, r, game, testManifest("game"))
	eventually(t, 5*time.Second, "the game did not reach its display with XAUTHORITY", func() bool {
		b, _ := os.ReadFile(i.Log())
		return strings.Contains(string(b), "game-reached-display")
	})
	if _, err := i.Render(time.Now()); err != nil {
		t.Fatalf("capture with the cookie: %v", err)
	}

	// The cookie is on no command line, where any process could read it.
	if cl := strings.Join(cmdline(i.rec.XvfbPID), " "); strings.Contains(cl, hex.EncodeToString(i.cookie)) || !strings.Contains(cl, "-auth") {
		t.Errorf("Xvfb command line %q: want -auth and no cookie", cl)
	}
	for _, p := range []struct {
		path string
		mode os.FileMode
	}{{r.cfg.RunDir, 0o711}, {r.dirs.tmp, 0o711}, {i.dir, 0o700}, {i.xauth, 0o600}} {
		if fi, err := os.Stat(p.path); err != nil || fi.Mode().Perm() != p.mode {
			t.Errorf("%s: %v, %v; want mode %v", p.path, fi.Mode().Perm(), err, p.mode)
		}
	}

	home := t.TempDir() // no ~/.Xauthority to fall back on
	wrong := filepath.Join(home, "wrong")
	bad, _ := newCookie()
	if err := os.WriteFile(wrong, xauthority(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	attacks := []struct {
		name  string
		xauth string // XAUTHORITY for xdpyinfo
		ok    bool
	}{
		{"no cookie at all", filepath.Join(home, "none"), false},
		{"a guessed cookie", wrong, false},
		{"the session's cookie", i.xauth, true},
	}
	for _, a := range attacks {
		cmd := exec.Command(xdpyinfo, "-display", i.Display())
		cmd.Env = []string{"PATH=" + defaultPath, "HOME=" + home, "XAUTHORITY=" + a.xauth}
		out, err := cmd.CombinedOutput()
		first, _, _ := strings.Cut(string(out), "\n")
		t.Logf("xdpyinfo -display %s as %s: err=%v, said %q", i.Display(), a.name, err, first)
		if (err == nil) != a.ok {
			t.Errorf("%s: xdpyinfo err = %v, want success %v", a.name, err, a.ok)
		}
	}

	// The same through Xlib in this process: the edge's own connection.
	t.Setenv("XAUTHORITY", filepath.Join(home, "none"))
	opens := []struct {
		name string
		open func() (*x11.Display, error)
		ok   bool
	}{
		{"Open without a cookie", func() (*x11.Display, error) { return x11.Open(i.Display()) }, false},
		{"OpenCookie with a guessed cookie", func() (*x11.Display, error) { return x11.OpenCookie(i.Display(), bad) }, false},
		{"OpenCookie with a short cookie", func() (*x11.Display, error) { return x11.OpenCookie(i.Display(), i.cookie[:4]) }, false},
		{"OpenCookie with the session's cookie", func() (*x11.Display, error) { return x11.OpenCookie(i.Display(), i.cookie) }, true},
		// The last cookie must not linger for the next open.
		{"Open without a cookie, after one with it", func() (*x11.Display, error) { return x11.Open(i.Display()) }, false},
	}
	for _, o := range opens {
		d, err := o.open()
		t.Logf("%s: err=%v", o.name, err)
		if d != nil {
			d.Close()
		}
		if (err == nil) != o.ok {
			t.Errorf("%s: err = %v, want success %v", o.name, err, o.ok)
		}
	}
}

// A link or file planted where a run directory goes is refused, and what
// it points at is left alone.
func TestRunDirPlanted(t *testing.T) {
	need(t, "Xvfb", "xvfb")
	game := installDir(t, map[string]string{"game": "exec sleep 1000"})
	tests := []struct {
		name  string
		plant func(r *Runtime, sess, victim string) error
		want  string
	}{
		{"link at the session directory", func(r *Runtime, sess, victim string) error {
			return os.Symlink(victim, filepath.Join(r.dirs.tmp, sess))
		}, "is a symbolic link"},
		{"file at the session directory", func(r *Runtime, sess, victim string) error {
			return os.WriteFile(filepath.Join(r.dirs.tmp, sess), nil, 0o600)
		}, "is not a directory"},
		{"link at the session log", func(r *Runtime, sess, victim string) error {
			return os.Symlink(filepath.Join(victim, "file"), filepath.Join(r.dirs.logs, sess+".log"))
		}, "too many levels of symbolic links"},
		{"link at the record temporary file", func(r *Runtime, sess, victim string) error {
			return os.Symlink(filepath.Join(victim, "file"), filepath.Join(r.dirs.sessions, sess+".json.tmp"))
		}, ""}, // removed, not written through: Start succeeds
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRuntime(t, t.TempDir())
			victim := t.TempDir()
			if err := os.WriteFile(filepath.Join(victim, "file"), []byte("precious"), 0o600); err != nil {
				t.Fatal(err)
			}
			sess := session(t)
			if err := tt.plant(r, sess, victim); err != nil {
				t.Fatal(err)
			}
			i, err := r.Start(Spec{Session: sess, InstallDir: game, Manifest: testManifest("game")})
			t.Logf("planted a %s, Start said: %v", tt.name, err)
			if i != nil {
				i.Close()
			}
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Start = %v, want success", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Start = %v, want %q", err, tt.want)
			}
			ents, _ := os.ReadDir(victim)
			b, _ := os.ReadFile(filepath.Join(victim, "file"))
			if len(ents) != 1 || string(b) != "precious" {
				t.Errorf("the link's target changed: %d entries, file %q", len(ents), b)
			}
		})
	}
}

// RunDir itself: made private, tightened when loose, refused when a link.
func TestRunDirPrivate(t *testing.T) {
	base := t.TempDir()
	loose := filepath.Join(base, "loose")
	if err := os.Mkdir(loose, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(loose, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, want string
	}{
		{"new, under new parents", filepath.Join(base, "a", "b", "run"), ""},
		{"existing with mode 0755", loose, ""},
		{"a symbolic link", link, "is a symbolic link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRuntime(Config{RunDir: tt.dir, Log: slog.New(slog.DiscardHandler)})
			t.Logf("RunDir %s: NewRuntime said %v", tt.name, err)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("NewRuntime = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for d, mode := range map[string]os.FileMode{tt.dir: 0o711, r.dirs.sessions: 0o700, r.dirs.logs: 0o700, r.dirs.tmp: 0o711} {
				if fi, err := os.Lstat(d); err != nil || fi.Mode().Perm() != mode || !fi.IsDir() {
					t.Errorf("%s: %v %v, want a %v directory", d, fi.Mode(), err, mode)
				}
			}
		})
	}
}
