package pulse

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ServerConfig configures a session's server. Dir and Session are required.
type ServerConfig struct {
	// Dir is the session's directory, created by the caller, removed by
	// the caller after Close. The socket, the cookie, PulseAudio's state
	// and its log (pulseaudio.log) go here. The socket is open to every
	// uid that can reach it, but the server admits only its own uid and
	// clients that present the cookie (see CookiePath).
	Dir string
	// Session is written into the server's environment as SessionEnv.
	Session string
	// Binary is the pulseaudio program; "" looks up "pulseaudio" in PATH.
	Binary string
	// StartTimeout bounds the wait for the socket; 0 means 5 s.
	StartTimeout time.Duration
	// Log gets start and exit events; nil means slog.Default().
	Log *slog.Logger
}

// socketName is the server's socket inside Dir.
const socketName = "native"

// cookieName is the file in Dir holding the server's auth cookie.
const cookieName = "cookie"

// cookieLen is PulseAudio's native-protocol cookie (PA_NATIVE_COOKIE_LENGTH):
// a file of another length would be overwritten by the server with one of
// its own making.
const cookieLen = 256

// logName is the file in Dir that receives pulseaudio's stdout and stderr.
// A file rather than the edge's log: PulseAudio warns at every start about
// running as root and about D-Bus, which is noise there, while a file per
// session is where one looks when that session's sound broke.
const logName = "pulseaudio.log"

// stopGrace is how long Close waits after SIGTERM before SIGKILL.
const stopGrace = 2 * time.Second

// maxSocketPath is the room in sockaddr_un.sun_path, less the NUL.
const maxSocketPath = 107

// Server is one running pulseaudio process with a single null sink.
type Server struct {
	dir     string
	log     *slog.Logger
	cmd     *exec.Cmd
	exited  chan struct{} // closed once cmd.Wait has returned
	waitErr error         // cmd.Wait's result, set before exited closes
	closing atomic.Bool   // set by Close, so the exit is not reported as a crash

	closeOnce sync.Once
	closeErr  error
}

// Start runs pulseaudio for one session and returns once its socket
// accepts connections. If the process exits or the timeout passes first,
// the error carries the end of its log.
func Start(cfg ServerConfig) (*Server, error) {
	if cfg.Dir == "" || cfg.Session == "" {
		return nil, errors.New("pulse: server config needs Dir and Session")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 5 * time.Second
	}
	bin := cfg.Binary
	if bin == "" {
		bin = "pulseaudio"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("pulse: %w", err)
	}
	sock := filepath.Join(dir, socketName)
	if len(sock) > maxSocketPath {
		return nil, fmt.Errorf("pulse: socket path %q is longer than a unix socket allows (%d bytes)", sock, maxSocketPath)
	}
	// PulseAudio's home, runtime and config directories, all inside Dir,
	// so that nothing reads or writes the edge user's own PulseAudio
	// setup, and two sessions share nothing.
	home, run, conf := filepath.Join(dir, "home"), filepath.Join(dir, "runtime"), filepath.Join(dir, "config")
	for _, d := range []string{home, run, conf} {
		// 0700: PulseAudio refuses a runtime directory others can enter.
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("pulse: %w", err)
		}
	}
	cookie := filepath.Join(dir, cookieName)
	if err := writeCookie(cookie); err != nil {
		return nil, fmt.Errorf("pulse: cookie: %w", err)
	}
	logPath := filepath.Join(dir, logName)
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pulse: %w", err)
	}
	defer logFile.Close() // the child has its own copy

	cmd := exec.Command(path,
		"-n",              // no default.pa: only the modules below
		"-F", "/dev/null", // and no other script
		"--daemonize=no",      // stay our child, so we can wait for it
		"--system=no",         // a per-user (per-session) server, even as root
		"--use-pid-file=no",   // several servers run as one user
		"--exit-idle-time=-1", // the game may connect late, or reconnect
		// Clients copy sound over the socket rather than share memory: a
		// game may run in a sandbox with its own /dev/shm, and one stereo
		// stream is 192 kB/s, nothing to copy.
		"--disable-shm=yes",
		"--log-target=stderr",
		"--load=module-null-sink sink_name="+SinkName+" rate=48000 channels=2 sink_properties=device.description=Stratus",
		// No anonymous clients: a game runs as a uid of its own and must
		// show the cookie, so one that reaches another session's socket
		// still cannot play, record or list there. PulseAudio lets its own
		// uid in by the socket's credentials, cookie or not: that is the
		// edge, which runs the server.
		"--load=module-native-protocol-unix socket="+sock+" auth-anonymous=0 auth-cookie-enabled=1 auth-cookie="+cookie,
	)
	// A fresh environment rather than the edge's: no PULSE_* or DISPLAY
	// (which would let D-Bus autolaunch a bus) leaks in.
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_RUNTIME_DIR=" + run,
		"XDG_CONFIG_HOME=" + conf,
		// Already set, so pulseaudio does not re-exec itself to set it.
		"LD_BIND_NOW=1",
		SessionEnv + "=" + cfg.Session,
	}
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group, so Close signals everything it started
		// and a signal to the edge's group does not stop it first.
		Setpgid: true,
		// Killed if the edge dies. Go only ends a thread whose goroutine
		// locked it and exited, which exec does not do.
		Pdeathsig: syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("pulse: start %s: %w", path, err)
	}
	s := &Server{dir: dir, log: cfg.Log.With("session", cfg.Session, "pid", cmd.Process.Pid), cmd: cmd, exited: make(chan struct{})}
	go s.wait()
	if err := s.waitReady(sock, logPath, cfg.StartTimeout); err != nil {
		s.Close()
		return nil, fmt.Errorf("pulse: %w; %s ends: %s", err, logPath, tail(logPath))
	}
	s.log.Info("pulse: server ready", "addr", s.Addr())
	return s, nil
}

// wait reaps the process and reports an exit that Close did not ask for.
func (s *Server) wait() {
	s.waitErr = s.cmd.Wait()
	close(s.exited)
	if !s.closing.Load() {
		s.log.Warn("pulse: server exited", "err", s.waitErr, "log", filepath.Join(s.dir, logName))
	}
}

// loadFailed is how pulseaudio logs a module that would not load. It goes
// on running without it, so Start looks for this to fail at once rather
// than after its timeout.
const loadFailed = "Failed to load module"

// waitReady polls the socket until it accepts a connection: that is the
// thing a game will need. The log is read only to fail early.
func (s *Server) waitReady(sock, logPath string, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := net.DialTimeout("unix", sock, timeout); err == nil {
			c.Close()
			return nil
		}
		if b, err := os.ReadFile(logPath); err == nil && bytes.Contains(b, []byte(loadFailed)) {
			return errors.New("pulseaudio could not load a module")
		}
		select {
		case <-s.exited:
			return fmt.Errorf("pulseaudio exited before its socket was ready: %v", s.waitErr)
		case <-deadline.C:
			return fmt.Errorf("socket %s not ready after %v", sock, timeout)
		case <-tick.C:
		}
	}
}

// Addr is the server address for a client: what a game gets as
// PULSE_SERVER and what Record takes.
func (s *Server) Addr() string { return "unix:" + filepath.Join(s.dir, socketName) }

// CookiePath is the file holding the cookie a client of another uid must
// present. It is 0400 and the edge's: a sandboxed game can read it only
// once it is given to the session's uid.
func (s *Server) CookiePath() string { return filepath.Join(s.dir, cookieName) }

// Env is what to add to a game's environment so that its sound goes to
// this server's sink, authenticated with its cookie. With PULSE_SERVER
// set, libpulse connects there or fails: it neither falls back to another
// server nor spawns one.
func (s *Server) Env() []string {
	return []string{"PULSE_SERVER=" + s.Addr(), "PULSE_SINK=" + SinkName, "PULSE_COOKIE=" + s.CookiePath()}
}

// Pid is the pulseaudio process ID, also its process group ID.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Done is closed once the process has exited, whether by Close or not.
func (s *Server) Done() <-chan struct{} { return s.exited }

// Close stops the server: SIGTERM to its process group, then SIGKILL if it
// has not exited within 2 s. It returns an error only when the server had
// already exited on its own. It is safe to call twice.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		select {
		case <-s.exited:
			s.closeErr = fmt.Errorf("pulse: server had exited: %v", s.waitErr)
			return
		default:
		}
		pgid := s.cmd.Process.Pid
		syscall.Kill(-pgid, syscall.SIGTERM)
		t := time.NewTimer(stopGrace)
		defer t.Stop()
		select {
		case <-s.exited:
		case <-t.C:
			s.log.Warn("pulse: server ignored SIGTERM, killing it")
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-s.exited
		}
	})
	return s.closeErr
}

// writeCookie writes a fresh random cookie to path, readable by this user
// alone. Whatever is at path is removed first, without following it: a
// leftover of an earlier server, or a link planted to make the server read
// (or the game be handed) some other file.
func writeCookie(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	c := make([]byte, cookieLen)
	if _, err := rand.Read(c); err != nil {
		return err
	}
	// 0400, not 0600: libpulse opens a cookie for writing first, and
	// falls back to reading only on EACCES. A game's copy is bound
	// read-only, where a writable mode would fail with EROFS instead and
	// libpulse would make up a cookie of its own.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o400)
	if err != nil {
		return err
	}
	_, werr := f.Write(c)
	return errors.Join(werr, f.Close())
}

// tail returns the last lines of the file at path, for error messages.
func tail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	const max = 2048
	if fi, err := f.Stat(); err == nil && fi.Size() > max {
		f.Seek(fi.Size()-max, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 6 {
		lines = lines[len(lines)-6:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return "(empty)"
	}
	return strings.Join(lines, " | ")
}
