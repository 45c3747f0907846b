package process

import (
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"stratus/input"
	"stratus/title/manifest"
	"stratus/title/process/gfx"
	"stratus/title/process/x11"
)

// ErrClosed is returned by Start after Runtime.Close, and by Render after
// Instance.Close.
var ErrClosed = errors.New("process: closed")

// Runtime starts process titles on one edge.
type Runtime struct {
	cfg  Config
	log  *slog.Logger
	dirs struct{ sessions, logs, tmp string }

	// startMu is held for reading by each Start and for writing by Close,
	// so Close waits for starts in flight instead of racing them.
	startMu sync.RWMutex
	closed  bool

	mu        sync.Mutex
	instances map[string]*Instance // by session
}

// Spec says what to start.
type Spec struct {
	// Session names the instance: file names, the STRATUS_SESSION marker.
	// Letters, digits, '_', '.', '-'; unique among running instances.
	Session    string
	InstallDir string
	Manifest   manifest.Manifest
	// Env is extra environment from the edge (PULSE_SERVER, …); the
	// manifest's env comes after it, and DISPLAY, XAUTHORITY and
	// STRATUS_SESSION after both, so neither can override those.
	Env []string
	// Render is the graphics driver the edge chose for the session; its
	// environment comes after the manifest's, so a studio cannot pick
	// another.
	Render gfx.Session
	// Sockets are more paths the sandboxed game must reach (its sound
	// server's directory).
	Sockets []string
	// Secrets are files the game must read and no other session may (its
	// sound server's cookie): in the sandbox they are bound read-only and,
	// when sessions get uids, given to the session's.
	Secrets []string
	// Gamepad, if set, receives gamepad events (another package turns them
	// into a virtual device); otherwise they are counted as unmapped. It is
	// called from Input, so from the session's goroutine.
	Gamepad func(ev input.Event)
}

// NewRuntime creates RunDir and its subdirectories, each the edge user's
// and never a symbolic link (see privateDir): sessions and logs private
// (0700), RunDir and tmp passable (0711) by the sessions' uids, which
// must reach their own directories below without listing them. It sweeps
// what a previous run that crashed left behind (see the package comment).
func NewRuntime(cfg Config) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	dir, err := filepath.Abs(cfg.RunDir)
	if err != nil {
		return nil, fmt.Errorf("process: RunDir: %w", err)
	}
	cfg.RunDir = dir
	r := &Runtime{cfg: cfg, log: cfg.Log, instances: map[string]*Instance{}}
	r.dirs.sessions = filepath.Join(dir, "sessions")
	r.dirs.logs = filepath.Join(dir, "logs")
	r.dirs.tmp = filepath.Join(dir, "tmp")
	if err := privateRunDir(dir); err != nil {
		return nil, fmt.Errorf("process: RunDir: %w", err)
	}
	for _, d := range []string{r.dirs.sessions, r.dirs.logs} {
		if err := privateDir(d); err != nil {
			return nil, fmt.Errorf("process: %w", err)
		}
	}
	if err := passDir(r.dirs.tmp); err != nil { // sessions' own directories are below
		return nil, fmt.Errorf("process: %w", err)
	}
	r.sweep()
	pruneLogs(r.dirs.logs, time.Now())
	return r, nil
}

// Available reports why this edge cannot run process titles, or nil.
func (r *Runtime) Available() error {
	err := r.display()
	if serr := r.sandboxed(); serr != nil && !r.cfg.UnsafeNoSandbox {
		err = errors.Join(err, fmt.Errorf("%w; the operator may run them unconfined with -unsafe-no-sandbox", serr))
	}
	return err
}

// display reports why this edge cannot give a game a display, or nil.
func (r *Runtime) display() error {
	var errs []error
	if _, err := exec.LookPath(r.cfg.Xvfb); err != nil {
		errs = append(errs, fmt.Errorf("process titles need an X server: %s not found (install the Debian package xvfb): %w", r.cfg.Xvfb, err))
	}
	if err := x11.Available(); err != nil {
		errs = append(errs, fmt.Errorf("process titles need screen capture, and this edge was built without cgo (CGO_ENABLED=0): %w", err))
	}
	return errors.Join(errs...)
}

// sandboxed says why games would not be sandboxed, or nil.
func (r *Runtime) sandboxed() error {
	if r.cfg.Sandbox == nil {
		return errors.New("studio games cannot be sandboxed: this edge has no sandbox")
	}
	return r.cfg.Sandbox.Available()
}

// Check reports whether the title at installDir can start here: its runtime
// is "process", and its command and workdir resolve inside installDir.
func (r *Runtime) Check(installDir string, m manifest.Manifest) error {
	_, _, err := resolve(installDir, m)
	return err
}

func resolve(installDir string, m manifest.Manifest) (command, workdir string, err error) {
	if m.Runtime != manifest.RuntimeProcess {
		return "", "", fmt.Errorf("process: title %q has runtime %q, not %q", m.ID, m.Runtime, manifest.RuntimeProcess)
	}
	command, cerr := manifest.ResolveCommand(installDir, m)
	workdir, werr := manifest.ResolveWorkdir(installDir, m)
	if err := errors.Join(cerr, werr); err != nil {
		return "", "", fmt.Errorf("process: title %q: %w", m.ID, err)
	}
	return command, workdir, nil
}

// Start starts Xvfb and the game for one session and returns once both run
// and the display is open for capture. On failure nothing is left running.
//
// Call it from an ordinary goroutine: Pdeathsig fires when the OS thread
// that started a child exits, and Go ends a thread only when a goroutine
// locked to it (runtime.LockOSThread) returns without unlocking.
func (r *Runtime) Start(s Spec) (*Instance, error) {
	if err := validSession(s.Session); err != nil {
		return nil, err
	}
	if err := r.Available(); err != nil {
		return nil, err
	}
	command, workdir, err := resolve(s.InstallDir, s.Manifest)
	if err != nil {
		return nil, err
	}
	r.startMu.RLock()
	defer r.startMu.RUnlock()
	i := newInstance(r, s)
	r.mu.Lock()
	switch {
	case r.closed:
		err = ErrClosed
	case r.instances[s.Session] != nil:
		err = fmt.Errorf("process: session %q already runs", s.Session)
	default:
		r.instances[s.Session] = i
	}
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := i.start(command, workdir); err != nil {
		i.Close()
		return nil, fmt.Errorf("process: start %q: %w", s.Manifest.ID, err)
	}
	go pruneLogs(r.dirs.logs, time.Now())
	r.log.Info("process: title started", "session", s.Session, "title", s.Manifest.ID,
		"display", i.display, "pid", i.game.Process.Pid, "log", i.logPath)
	return i, nil
}

// forget drops a stopped instance.
func (r *Runtime) forget(i *Instance) {
	r.mu.Lock()
	if r.instances[i.spec.Session] == i {
		delete(r.instances, i.spec.Session)
	}
	r.mu.Unlock()
}

// Close stops every running instance (the edge is exiting) and refuses
// further starts. It stops the processes and removes their files, but
// leaves each instance's capture memory to its owner's Instance.Close: a
// session may be reading the last frame right now. Safe to call twice.
func (r *Runtime) Close() error {
	r.startMu.Lock()
	r.mu.Lock()
	r.closed = true
	all := make([]*Instance, 0, len(r.instances))
	for _, i := range r.instances {
		all = append(all, i)
	}
	r.mu.Unlock()
	r.startMu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, len(all))
	for n, i := range all {
		wg.Add(1)
		go func() { // in parallel: each may wait out its grace period
			defer wg.Done()
			errs[n] = i.stop()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
