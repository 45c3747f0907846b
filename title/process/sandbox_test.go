package process

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"stratus/title/process/pulse"
	"stratus/title/process/sandbox"
)

// soundServer starts a sound server as Games does for a session, in its
// own directory under r's, closed at cleanup.
func soundServer(t *testing.T, r *Runtime, name string) *pulse.Server {
	t.Helper()
	session := fmt.Sprintf("t%d-%s", os.Getpid(), name)
	dir := filepath.Join(r.dirs.tmp, session+".audio")
	if err := passDir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s, err := pulse.Start(pulse.ServerConfig{Dir: dir, Session: session, Log: r.log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSandboxContains attacks the edge from a studio's game, as an
// outsider would, with real processes: each case runs a script as the
// game and prints what it tried and what it got. Every attempt must fail
// or stay inside the session.
func TestSandboxContains(t *testing.T) {
	dir := t.TempDir()
	passable(t, dir)
	sb, err := sandbox.New(sandbox.Config{Name: dir, Pids: 64})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Available(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	t.Logf("sandbox: %s", sb.Describe())
	r := newRuntimeWith(t, Config{RunDir: dir, Sandbox: sb})
	edge := strconv.Itoa(os.Getpid())
	t.Setenv("STRATUS_TEST_EDGE_SECRET", "cluster-key-0123")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	reached := make(chan string, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b := make([]byte, 64)
			n, _ := c.Read(b)
			reached <- string(b[:n])
			c.Close()
		}
	}()

	// play starts script as a session's game and returns its output once
	// it printed "done", with the instance still running.
	n := 0
	// more, if given, adds to the game's Spec.
	play := func(t *testing.T, script string, network bool, more ...func(*Spec)) (*Instance, string) {
		t.Helper()
		m := testManifest("game")
		m.Network = network
		n++
		spec := Spec{Session: fmt.Sprintf("t%d-sandbox-%d", os.Getpid(), n), Manifest: m,
			InstallDir: installDir(t, map[string]string{"game": script + "\necho done\nexec sleep 1000"})}
		for _, f := range more {
			f(&spec)
		}
		i, err := r.Start(spec)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { i.Close() })
		eventually(t, 10*time.Second, "the game did not finish its attempts", func() bool {
			return strings.Contains(readLog(t, i), "done")
		})
		out := readLog(t, i)
		t.Logf("the game tried:\n%s\nand got:\n%s", script, out)
		return i, out
	}

	t.Run("the edge's environment and signals", func(t *testing.T) {
		i, out := play(t, `cat /proc/`+edge+`/environ && echo READ-ENVIRON
kill -0 `+edge+` && echo SIGNALLED-EDGE
for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = Xvfb ] && kill -STOP ${p#/proc/} && echo STOPPED-XVFB; done
env | grep -q STRATUS_TEST_EDGE_SECRET && echo SAW-SECRET
echo "pids: $(ls /proc | grep -c '^[0-9]')"
echo "uid: $(id -u)"`, false)
		defer i.Close()
		for _, bad := range []string{"READ-ENVIRON", "SIGNALLED-EDGE", "STOPPED-XVFB", "SAW-SECRET", "cluster-key"} {
			if strings.Contains(out, bad) {
				t.Errorf("the game managed %s", bad)
			}
		}
		if os.Geteuid() == 0 && !strings.Contains(out, "uid: 60") {
			t.Errorf("the game does not run as a session uid: %q", out)
		}
	})

	t.Run("files: install read-only, another session's directory unseen", func(t *testing.T) {
		other, _ := play(t, "true", false)
		defer other.Close()
		i, out := play(t, `touch "$(dirname "$0")/planted" && echo WROTE-INSTALL
ls `+other.dir+` && echo LISTED-OTHER
cat `+other.xauth+` && echo READ-OTHER-COOKIE
ls `+r.dirs.sessions+` && echo LISTED-RECORDS
touch "$HOME/mine" && echo WROTE-HOME`, false)
		defer i.Close()
		for _, bad := range []string{"WROTE-INSTALL", "LISTED-OTHER", "READ-OTHER-COOKIE", "LISTED-RECORDS"} {
			if strings.Contains(out, bad) {
				t.Errorf("the game managed %s", bad)
			}
		}
		if !strings.Contains(out, "WROTE-HOME") {
			t.Errorf("the game cannot write its own home: %q", out)
		}
	})

	t.Run("connect to another session's PulseAudio", func(t *testing.T) {
		need(t, "pactl", "pulseaudio-utils")
		mine, other := soundServer(t, r, "mine"), soundServer(t, r, "other")
		otherSock := strings.TrimPrefix(other.Addr(), "unix:")
		// A game only ever sees its own server's socket. Here, as root, it
		// is also given the other's, as if it had found a way there: the
		// other's cookie is then all that stands in its way. Without
		// per-session uids the game is the server's uid, which PulseAudio
		// lets in by its credentials, so there the socket stays unseen.
		sockets := []string{strings.TrimPrefix(mine.Addr(), "unix:")}
		if os.Geteuid() == 0 {
			sockets = append(sockets, otherSock)
		}
		i, out := play(t, `pactl info >/dev/null && echo REACHED-OWN
ls -l `+otherSock+`
PULSE_SERVER=`+other.Addr()+` pactl info && echo REACHED-OTHER
cat `+other.CookiePath()+` >/dev/null && echo READ-OTHER-COOKIE
PULSE_SERVER=`+other.Addr()+` PULSE_COOKIE=`+other.CookiePath()+` pactl info && echo REACHED-OTHER-WITH-ITS-COOKIE
PULSE_SERVER=`+other.Addr()+` PULSE_COOKIE=/dev/null pactl info && echo REACHED-OTHER-WITHOUT-COOKIE`, false, func(s *Spec) {
			s.Env = mine.Env()
			s.Sockets = sockets
			s.Secrets = []string{mine.CookiePath()}
		})
		defer i.Close()
		for _, bad := range []string{"REACHED-OTHER", "READ-OTHER-COOKIE"} {
			if strings.Contains(out, bad) {
				t.Errorf("the game managed %s", bad)
			}
		}
		if !strings.Contains(out, "REACHED-OWN") {
			t.Errorf("the game cannot reach its own sound server: %q", out)
		}
		if os.Geteuid() == 0 && !strings.Contains(out, "Access denied") {
			t.Errorf("the other session's server did not refuse the game: %q", out)
		}
	})

	t.Run("network only when the manifest asks", func(t *testing.T) {
		send := `bash -c 'echo hello-$0 > /dev/tcp/127.0.0.1/` + port + `' %s && echo SENT`
		for _, network := range []bool{false, true} {
			i, out := play(t, fmt.Sprintf(send, strconv.FormatBool(network)), network)
			i.Close()
			var got string
			select {
			case got = <-reached:
			case <-time.After(500 * time.Millisecond):
			}
			if network != strings.Contains(out, "SENT") || network != (got != "") {
				t.Errorf("network %v: the game said %q, the host got %q", network, out, got)
			}
		}
	})

	t.Run("a fork bomb and an escapee", func(t *testing.T) {
		i, _ := play(t, `setsid env -i sleep 1001 &
(b() { b | b & }; b) 2>/dev/null &
sleep 1`, false)
		pids := i.jail.Pids()
		t.Logf("the session holds %d processes (its limit is 64)", len(pids))
		if len(pids) > 64 {
			t.Errorf("%d processes: the fork bomb was not contained", len(pids))
		}
		escapee := slices.ContainsFunc(pids, func(p int) bool { return strings.Join(cmdline(p), " ") == "sleep 1001" })
		if !escapee {
			t.Errorf("the escapee is not in the session's cgroup")
		}
		// The edge still starts games beside it.
		j, out := play(t, "echo beside", false)
		j.Close()
		if !strings.Contains(out, "beside") {
			t.Errorf("no game started beside the bomb: %q", out)
		}
		start := time.Now()
		if err := i.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("Close took %v", time.Since(start).Round(time.Millisecond))
		for _, p := range pids {
			if alive(p) {
				t.Errorf("process %d (%q) outlived its session", p, cmdline(p))
			}
		}
	})
}
