package pulse

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestStartRejects(t *testing.T) {
	log := testLog(t)
	tests := []struct {
		name string
		cfg  ServerConfig
		want string
	}{
		{"no dir", ServerConfig{Session: "s", Log: log}, "needs Dir and Session"},
		{"no session", ServerConfig{Dir: t.TempDir(), Log: log}, "needs Dir and Session"},
		{"no binary", ServerConfig{Dir: t.TempDir(), Session: "s", Binary: "/nonexistent/pulseaudio", Log: log}, "Debian package pulseaudio"},
		{"long dir", ServerConfig{Dir: filepath.Join(t.TempDir(), strings.Repeat("d", 100)), Session: "s", Log: log}, "longer than a unix socket allows"},
		// A program that exits at once stands in for a server that fails
		// to start: Start must say so, with its log, and not wait out the
		// timeout.
		{"exits", ServerConfig{Dir: t.TempDir(), Session: "s", Binary: "false", Log: log}, "exited before its socket was ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start(tt.cfg)
			if err == nil {
				s.Close()
				t.Fatalf("Start succeeded, want error %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start error %q, want it to mention %q", err, tt.want)
			}
		})
	}
	// A real pulseaudio that cannot create its socket, here because a
	// directory is in the way, fails with its own words in the error.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, socketName), 0o700); err != nil {
		t.Fatal(err)
	}
	needTools(t)
	if s, err := Start(ServerConfig{Dir: dir, Session: session(t), Log: log}); err == nil {
		s.Close()
		t.Error("Start with the socket path taken succeeded")
	} else if !strings.Contains(err.Error(), "module-native-protocol-unix") {
		t.Errorf("Start with the socket path taken: %v, want pulseaudio's log naming the module", err)
	} else {
		t.Logf("socket path taken: %v", err)
	}
	if _, err := Start(ServerConfig{Dir: t.TempDir(), Session: "s", Binary: "/nonexistent/pulseaudio"}); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("missing binary: error %v, want ErrNotInstalled", err)
	}
}

// A game that has only Env reaches its own server, which has the one sink
// at the session's format, and not another session's.
func TestGameReachesItsServer(t *testing.T) {
	a, b := startServer(t, session(t)+"-a"), startServer(t, session(t)+"-b")
	for _, s := range []*Server{a, b} {
		env := gameEnv(t, s)
		out, err := pactl(env, "info")
		if err != nil {
			t.Fatalf("pactl info: %v: %s", err, out)
		}
		for _, want := range []string{"Server String: " + s.Addr(), "Default Sink: " + SinkName, "Default Source: " + MonitorSource} {
			if !strings.Contains(out, want) {
				t.Errorf("pactl info with %v:\n%s\nwant a line %q", s.Env(), out, want)
			}
		}
		out, err = pactl(env, "list", "short", "sinks")
		if err != nil {
			t.Fatalf("pactl list: %v: %s", err, out)
		}
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 || !strings.Contains(lines[0], SinkName+"\t") || !strings.Contains(lines[0], "s16le 2ch 48000Hz") {
			t.Errorf("sinks:\n%s\nwant only %s, s16le 2ch 48000Hz", out, SinkName)
		}
	}
	if a.Addr() == b.Addr() {
		t.Errorf("two servers share the address %s", a.Addr())
	}
}

// With its server gone, a game with Env gets no sound server at all: libpulse
// neither falls back to the usual per-user socket nor spawns a server.
func TestGameEnvDoesNotFallBack(t *testing.T) {
	s := startServer(t, session(t))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// The socket libpulse would try without PULSE_SERVER.
	run := t.TempDir()
	if err := os.Mkdir(filepath.Join(run, "pulse"), 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(run, "pulse", "native"))
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	out, err := pactl(append(gameEnv(t, s), "XDG_RUNTIME_DIR="+run), "info")
	ln.Close()
	if err == nil {
		t.Errorf("pactl info reached a server after Close:\n%s", out)
	}
	select {
	case <-accepted:
		t.Errorf("pactl fell back to $XDG_RUNTIME_DIR/pulse/native")
	default:
	}
}

// Close ends the server and leaves no process with the session's marker.
func TestServerClose(t *testing.T) {
	sess := session(t)
	s := startServer(t, sess)
	if pids := marked(sess); !slices.Contains(pids, s.Pid()) {
		t.Fatalf("processes marked %s=%s: %v, want the server %d among them", SessionEnv, sess, pids, s.Pid())
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-s.Done():
	default:
		t.Fatal("Done still open after Close")
	}
	if pids := marked(sess); len(pids) != 0 {
		t.Errorf("after Close, processes still marked %s: %v", sess, pids)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// A server killed from outside is reported by Close, which still returns.
func TestServerKilled(t *testing.T) {
	s := startServer(t, session(t))
	if err := syscall.Kill(s.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.Done()
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "had exited") {
		t.Errorf("Close after kill: %v, want a report that it had exited", err)
	}
}
