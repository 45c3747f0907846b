//go:build cgo

package pulse

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// guestUID is the uid the tests' stand-in for a sandboxed game runs as:
// nobody, which owns nothing here, as a session's uid owns nothing but its
// session.
const guestUID = 65534

// A client of another uid than the server's, as a sandboxed game is, gets
// in only with that server's cookie: not without one, not with another
// session's. With it, it plays, and the edge records what it plays.
func TestCookieAdmits(t *testing.T) {
	if os.Geteuid() != 0 {
		// PulseAudio admits clients of its own uid by their socket
		// credentials before it looks at a cookie: only a client of
		// another uid shows the cookie at work, and making one takes root.
		t.Skip("needs root, to run a client as another uid than the server's")
	}
	needTools(t)
	root := guestDir(t)
	a, b := startServerIn(t, filepath.Join(root, "a"), session(t)+"-a"), startServerIn(t, filepath.Join(root, "b"), session(t)+"-b")
	for _, s := range []*Server{a, b} {
		fi, err := os.Lstat(s.CookiePath())
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); fi.Mode() != 0o400 || st.Uid != 0 || fi.Size() != cookieLen {
			t.Errorf("cookie %s: mode %v, uid %d, %d bytes; want 0400, the edge's (0), %d bytes", s.CookiePath(), fi.Mode(), st.Uid, fi.Size(), cookieLen)
		}
	}
	// The guest cannot read the servers' own cookie files, so it gets
	// copies of its own, as a session's uid is given its server's.
	cookieA, cookieB := guestCopy(t, root, a.CookiePath()), guestCopy(t, root, b.CookiePath())
	if _, err := asGuest(t, root, a, "", "cat", a.CookiePath()); err == nil {
		t.Errorf("the guest read %s, which is the edge's alone", a.CookiePath())
	}

	for _, tt := range []struct {
		name, cookie string
		admitted     bool
	}{
		{"no cookie", "", false},
		{"another session's cookie", cookieB, false},
		{"its server's cookie", cookieA, true},
	} {
		out, err := asGuest(t, root, a, tt.cookie, "pactl", "info")
		t.Logf("uid %d, %s, pactl info on %s: err %v:\n%s", guestUID, tt.name, a.Addr(), err, strings.TrimSpace(out))
		switch {
		case tt.admitted && err != nil:
			t.Errorf("%s: refused: %v: %s", tt.name, err, out)
		case tt.admitted && !strings.Contains(out, "Default Sink: "+SinkName):
			t.Errorf("%s: pactl info says no sink %s:\n%s", tt.name, SinkName, out)
		case !tt.admitted && (err == nil || !strings.Contains(out, "Access denied")):
			t.Errorf("%s: want pactl to be refused (Access denied), got err %v:\n%s", tt.name, err, out)
		}
	}

	r := record(t, a)
	p := playAs(t, guestEnv(t, root, a, cookieA), &syscall.Credential{Uid: guestUID, Gid: guestUID}, 1000, true)
	var loud int
	readFrames(t, r, 5*time.Second, "the guest's tone", func(pcm []int16, _ time.Time) bool {
		if rms(pcm) > heard {
			loud++
		}
		return loud < 10
	})
	p.stop()
	t.Logf("uid %d with the cookie played a tone; the edge recorded %d loud frames (stats %+v)", guestUID, loud, r.Stats())
}

// guestDir is a directory the guest may pass through but not list (0711),
// with every parent passable too, removed at cleanup; t.TempDir's parents
// are private.
func guestDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pulse-auth-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startServerIn starts a server in dir, which it creates (0711, as the
// process package makes a session's sound directory), closed at cleanup.
func startServerIn(t testing.TB, dir, session string) *Server {
	t.Helper()
	if err := os.Mkdir(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	s, err := Start(ServerConfig{Dir: dir, Session: session, Log: testLog(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// guestCopy copies the cookie at path into dir for the guest alone.
func guestCopy(t testing.TB, dir, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(dir, "guest-cookie-")
	if err != nil {
		t.Fatal(err)
	}
	_, werr := f.Write(b)
	if err := f.Close(); werr != nil || err != nil {
		t.Fatal(werr, err)
	}
	if err := os.Chown(f.Name(), guestUID, guestUID); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// guestEnv is the guest's whole environment for s: a home of its own, and
// cookie as PULSE_COOKIE unless it is "".
func guestEnv(t testing.TB, dir string, s *Server, cookie string) []string {
	t.Helper()
	home, err := os.MkdirTemp(dir, "guest-home-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, guestUID, guestUID); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "PULSE_SERVER=" + s.Addr()}
	if cookie != "" {
		env = append(env, "PULSE_COOKIE="+cookie)
	}
	return env
}

// asGuest runs a command as the guest on s and returns its output.
func asGuest(t testing.TB, dir string, s *Server, cookie, prog string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = guestEnv(t, dir, s, cookie)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: guestUID, Gid: guestUID}}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The edge's Recorder presents the cookie it is given. The edge runs the
// server as its own uid, which PulseAudio admits cookie or not, so this
// test binary runs again as the guest (TestGuestRecorder) to record: with
// the server's cookie it records, without it it is refused.
func TestRecorderPresentsCookie(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to record as another uid than the server's")
	}
	needTools(t)
	root := guestDir(t)
	s := startServerIn(t, filepath.Join(root, "s"), session(t))
	cookie := guestCopy(t, root, s.CookiePath())
	// The test binary where the guest may run it.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(root, "pulse.test")
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, cookie, want string
	}{
		{"no cookie", "", "REFUSED"},
		{"its server's cookie", cookie, "RECORDED"},
	} {
		cmd := exec.Command(exe, "-test.run=^TestGuestRecorder$", "-test.v")
		cmd.Env = append(guestEnv(t, root, s, ""), guestRecordEnv+"="+s.Addr(), guestCookieEnv+"="+tt.cookie)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: guestUID, Gid: guestUID}}
		out, err := cmd.CombinedOutput()
		t.Logf("Record as uid %d, %s: err %v:\n%s", guestUID, tt.name, err, strings.TrimSpace(string(out)))
		if err != nil || !strings.Contains(string(out), tt.want) {
			t.Errorf("%s: want %s", tt.name, tt.want)
		}
	}
}

// What TestRecorderPresentsCookie tells the guest: the server, and the
// cookie to present.
const (
	guestRecordEnv = "STRATUS_TEST_GUEST_RECORD"
	guestCookieEnv = "STRATUS_TEST_GUEST_COOKIE"
)

// TestGuestRecorder is the guest's half of TestRecorderPresentsCookie.
func TestGuestRecorder(t *testing.T) {
	addr := os.Getenv(guestRecordEnv)
	if addr == "" {
		t.Skip("run by TestRecorderPresentsCookie, as another uid")
	}
	r, err := Record(addr, os.Getenv(guestCookieEnv), "", testLog(t))
	if err != nil {
		t.Logf("REFUSED: %v", err)
		return
	}
	defer r.Close()
	waitFor(t, 2*time.Second, "the first chunk", func() bool { return r.Stats().FramesRead > 0 })
	t.Logf("RECORDED %d frames", r.Stats().FramesRead)
}
