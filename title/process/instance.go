package process

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"stratus/title"
	"stratus/title/process/sandbox"
	"stratus/title/process/x11"
)

// Instance is one running game. It implements title.Title.
//
// Concurrency: the session calls Input and Render from one goroutine, as
// title.Title says. Close may come from any goroutine, also while Render
// runs: it waits for a capture in progress, and Render then returns
// ErrClosed. Close unmaps the frame memory, so whoever calls Close must be
// done with the last frame Render returned (title.Title's rule); the edge's
// Runtime.Close therefore only stops the processes and leaves the memory to
// the session's own Close. Kill may come from any goroutine at any time:
// it only signals the processes, so that a capture stuck on a stopped
// display server fails rather than wait forever.
type Instance struct {
	rt      *Runtime
	spec    Spec
	info    title.Info
	marker  string // STRATUS_SESSION=<session>
	dir     string // RunDir/tmp/<session>
	xauth   string // the Xauthority file in dir, with cookie (private.go)
	cookie  []byte
	recPath string
	logPath string
	rec     record

	xvfb *xserver
	game *exec.Cmd
	// jail confines the game (package sandbox); nil when the operator
	// runs games unconfined.
	jail    *sandbox.Jail
	display int
	disp    *x11.Display
	log     *logFile
	logR    *os.File      // read end of the game's output pipe
	copied  chan struct{} // closed when the output pipe reached EOF
	done    chan struct{} // closed when the game has exited
	exitErr error         // why it exited; set before done closes

	stopping  atomic.Bool
	stopOnce  sync.Once
	stopErr   error
	closeOnce sync.Once

	in       inputState // session goroutine only
	unmapped atomic.Uint64
	failed   atomic.Uint64
}

// Picture defaults for a manifest that leaves them 0.
const (
	defaultWidth  = 1280
	defaultHeight = 720
	defaultFPS    = 60
)

func newInstance(r *Runtime, s Spec) *Instance {
	m := s.Manifest
	info := title.Info{ID: m.ID, Name: m.Name, Width: m.Width, Height: m.Height, FPS: m.FPS, Renderer: s.Render.Renderer}
	if info.Width == 0 || info.Height == 0 {
		info.Width, info.Height = defaultWidth, defaultHeight
	}
	if info.FPS == 0 {
		info.FPS = defaultFPS
	}
	return &Instance{
		rt:      r,
		spec:    s,
		info:    info,
		marker:  "STRATUS_SESSION=" + s.Session,
		dir:     filepath.Join(r.dirs.tmp, s.Session),
		recPath: filepath.Join(r.dirs.sessions, s.Session+".json"),
		logPath: filepath.Join(r.dirs.logs, s.Session+".log"),
		rec:     record{Session: s.Session, Started: time.Now().UTC(), Display: -1},
		display: -1,
		done:    make(chan struct{}),
		copied:  make(chan struct{}),
	}
}

// start brings up Xvfb, the capture connection and the game, in that order,
// recording each process before anything else can fail.
func (i *Instance) start(command, workdir string) error {
	if err := i.rec.write(i.recPath); err != nil {
		return err
	}
	home, run, err := i.prepare()
	if err != nil {
		return err
	}
	x, err := startXvfb(i.rt.cfg.Xvfb, i.xauth, i.info.Width, i.info.Height, i.marker, i.rt.cfg.StartTimeout, func(pid int) error {
		i.rec.XvfbPID, i.rec.XvfbPGID = pid, pid
		return i.rec.write(i.recPath)
	})
	if err != nil {
		return err
	}
	i.xvfb, i.display = x, x.display
	i.rec.Display = x.display
	if err := i.rec.write(i.recPath); err != nil {
		return err
	}
	if i.disp, err = x11.OpenCookie(i.Display(), i.cookie); err != nil {
		return err
	}
	if w, h := i.disp.Size(); w != i.info.Width || h != i.info.Height {
		return fmt.Errorf("display %s is %dx%d, asked for %dx%d", i.Display(), w, h, i.info.Width, i.info.Height)
	}
	if !i.rt.cfg.NoCursor {
		// The game still runs without the pointer in its frames, so this is
		// said once, not failed.
		if err := i.disp.SetCursor(true); err != nil {
			i.rt.log.Warn("process: frames will not show the pointer", "session", i.spec.Session, "title", i.info.ID, "err", err)
		}
	}
	return i.startGame(command, workdir, home, run)
}

func (i *Instance) startGame(command, workdir, home, run string) error {
	var err error
	if i.log, err = newLogFile(i.logPath, LogLimit); err != nil {
		return err
	}
	// The game writes to a pipe that we copy into the capped file. Handing
	// it the file itself could not be capped; an io.Writer as Stdout would
	// make Wait wait for every child that inherited the pipe.
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	i.logR = r
	i.game = &exec.Cmd{Path: command, Args: append([]string{command}, i.spec.Manifest.Args...), Dir: workdir}
	done := func() {}
	if i.rt.sandboxed() == nil {
		if i.game, done, err = i.confine(command, workdir, home, run); err != nil {
			w.Close()
			close(i.copied)
			i.game = nil
			return err
		}
	}
	i.game.Env, i.game.Stdout, i.game.Stderr = i.env(home, run), w, w
	i.game.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = i.game.Start()
	done()
	w.Close()
	if err != nil {
		i.game = nil
		close(i.copied)
		return fmt.Errorf("start %s: %w", command, err)
	}
	go func() {
		io.Copy(i.log, r)
		close(i.copied)
	}()
	// Limits before the watcher may reap the game: until then its PID
	// cannot name another process.
	pid := i.game.Process.Pid
	lerr := i.rt.cfg.Limits.apply(pid)
	go i.watch()
	i.rec.GamePGID = pid
	return errors.Join(lerr, i.rec.write(i.recPath))
}

// confine opens the session's jail and returns the command that runs the
// game in it: the install directory and its sound server's cookie
// read-only, the session's directory, display socket and sound socket
// writable, its GPU's device nodes.
func (i *Instance) confine(command, workdir, home, run string) (*exec.Cmd, func(), error) {
	install, err := filepath.Abs(i.spec.InstallDir)
	if err != nil {
		return nil, nil, err
	}
	m := i.spec.Manifest
	spec := sandbox.Spec{
		Session:  i.spec.Session,
		ReadOnly: slices.Concat([]string{install}, i.spec.Render.ReadOnly, i.spec.Secrets),
		Writable: append([]string{i.dir, fmt.Sprintf("/tmp/.X11-unix/X%d", i.display)}, i.spec.Sockets...),
		Devices:  slices.Clone(i.spec.Render.Devices),
		Owned:    append([]string{i.dir, home, run, i.xauth}, i.spec.Secrets...),
		Network:  m.Network,
		Workdir:  workdir,
	}
	if m.Input.Gamepad {
		spec.Devices = append(spec.Devices, "/dev/input")
	}
	if i.jail, err = i.rt.cfg.Sandbox.Open(spec); err != nil {
		return nil, nil, err
	}
	return i.jail.Command(command, m.Args)
}

// env is the game's environment: a small clean base, the edge's extras,
// the manifest's, then what the runtime depends on.
func (i *Instance) env(home, run string) []string {
	env := []string{"PATH=" + defaultPath, "HOME=" + home, "LANG=C.UTF-8", "XDG_RUNTIME_DIR=" + run}
	env = append(env, i.spec.Env...)
	keys := make([]string, 0, len(i.spec.Manifest.Env))
	for k := range i.spec.Manifest.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+i.spec.Manifest.Env[k])
	}
	// os/exec keeps the last of duplicate keys.
	env = append(env, i.spec.Render.Env...)
	return append(env, "DISPLAY="+i.Display(), "XAUTHORITY="+i.xauth, i.marker)
}

// watch waits for the game to exit and records why.
func (i *Instance) watch() {
	err := i.game.Wait()
	// The last lines usually say why; give the copier a moment to write
	// them, but not forever: a child may hold the pipe open.
	select {
	case <-i.copied:
	case <-time.After(200 * time.Millisecond):
	}
	i.exitErr = exitError(i.game.ProcessState, err, i.log, i.stopping.Load(), i.jail != nil)
	i.rt.log.Info("process: game exited", "session", i.spec.Session, "title", i.info.ID, "err", i.exitErr)
	close(i.done)
}

// Info describes the title as its manifest does.
func (i *Instance) Info() title.Info { return i.info }

// Done is closed when the game process has exited.
func (i *Instance) Done() <-chan struct{} { return i.done }

// Err is why the game exited (wrapping ErrExited), or nil while it runs.
func (i *Instance) Err() error {
	select {
	case <-i.done:
		return i.exitErr
	default:
		return nil
	}
}

// Log is the path of the game's stdout and stderr log.
func (i *Instance) Log() string { return i.logPath }

// Display is the X display name, ":N".
func (i *Instance) Display() string { return ":" + strconv.Itoa(i.display) }
