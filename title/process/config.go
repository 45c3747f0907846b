package process

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sys/unix"

	"stratus/title/process/gfx"
	"stratus/title/process/sandbox"
)

// Config configures a Runtime.
type Config struct {
	// RunDir is this edge's own directory for session records, logs and the
	// games' home and runtime directories. Required; created if missing.
	// Two edges must not share one: each sweeps the other's records.
	RunDir string
	// Xvfb is the X server binary: a path, or a name looked up in PATH.
	// Empty means "Xvfb".
	Xvfb string
	// Limits are applied to every game process.
	Limits Limits
	// StartTimeout is how long Xvfb may take to come up; 0 means 5s.
	StartTimeout time.Duration
	// Log gets start, exit and sweep events; nil means slog.Default().
	Log *slog.Logger
	// NoCursor leaves the mouse pointer out of the frames. By default it is
	// drawn, because an X server keeps its cursor out of what a capture
	// sees, and the pointer of a mouse-driven game is part of the picture:
	// the player's page hides its own cursor under pointer lock, and the
	// game may move the pointer itself. A game that draws its own pointer
	// normally makes the X one invisible, so nothing is drawn twice. The
	// cost is small (tens of microseconds a frame at 1280x720; see
	// BenchmarkRender): this is for a title that shows a pointer it should
	// not, or a measurement that must leave it out.
	NoCursor bool
	// Graphics are the programs and driver directories ProbeGraphics
	// uses; zero fields take gfx's defaults.
	Graphics gfx.Tools
	// Sandbox confines every game (package sandbox). Without one, or
	// where it cannot work, games are refused unless UnsafeNoSandbox is
	// set: a studio's program would then run as the edge's own user,
	// able to read its keys and signal it.
	Sandbox         *sandbox.Sandbox
	UnsafeNoSandbox bool
}

// Limits are resource limits (setrlimit) for the game process; its
// children inherit them. The core-file size is always 0: a crashing game
// must not fill the edge's disk with dumps of its memory.
type Limits struct {
	// OpenFiles is RLIMIT_NOFILE, at most the edge's own hard limit; 0
	// means 65536. The kernel's usual soft
	// limit of 1024 is too low for engines that stream assets or for Wine's
	// esync, while no limit lets a leaking game exhaust the edge's file
	// table.
	OpenFiles uint64
	// AddressSpace is RLIMIT_AS in bytes; 0 means no limit, the default,
	// because GPU drivers and JITs (Mesa, Wine, Mono) reserve far more
	// address space than they use, and a limit here breaks them long before
	// it saves memory. Cap real memory with a cgroup instead.
	AddressSpace uint64
	// CPUSeconds is RLIMIT_CPU; 0 means none, the default: a game renders
	// for as long as the session lasts, and the session limit ends it.
	CPUSeconds uint64
}

const (
	defaultXvfb         = "Xvfb"
	defaultStartTimeout = 5 * time.Second
	defaultOpenFiles    = 65536
	minOpenFiles        = 64        // below this not even a shell script starts
	minAddressSpace     = 256 << 20 // below this no dynamically linked game loads
	// cpuGrace is how far the hard CPU limit lies past the soft one: the soft
	// limit sends SIGXCPU so that a game can save, the hard one kills.
	cpuGrace = 5
)

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.RunDir == "" {
		errs = append(errs, errors.New("process: RunDir: required"))
	}
	if c.StartTimeout < 0 {
		errs = append(errs, fmt.Errorf("process: StartTimeout: %v is negative", c.StartTimeout))
	}
	if n := c.Limits.OpenFiles; n != 0 && n < minOpenFiles {
		errs = append(errs, fmt.Errorf("process: Limits.OpenFiles: %d is too few (want 0 for the default, or at least %d)", n, minOpenFiles))
	}
	if n := c.Limits.AddressSpace; n != 0 && n < minAddressSpace {
		errs = append(errs, fmt.Errorf("process: Limits.AddressSpace: %d bytes is too little (want 0 for none, or at least %d)", n, minAddressSpace))
	}
	return errors.Join(errs...)
}

// withDefaults fills in the zero values.
func (c Config) withDefaults() Config {
	if c.Xvfb == "" {
		c.Xvfb = defaultXvfb
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = defaultStartTimeout
	}
	if c.Limits.OpenFiles == 0 {
		c.Limits.OpenFiles = defaultOpenFiles
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// apply sets the limits on a started process. Go's os/exec cannot set
// rlimits between fork and exec, so this runs right after the start: the
// game has run for microseconds without them, which is too short to matter
// (it cannot have opened thousands of files or used CPU minutes by then).
func (l Limits) apply(pid int) error {
	set := func(name string, res int, cur, max uint64) error {
		if err := unix.Prlimit(pid, res, &unix.Rlimit{Cur: cur, Max: max}, nil); err != nil {
			return fmt.Errorf("prlimit %s=%d: %w", name, cur, err)
		}
		return nil
	}
	files := l.OpenFiles
	// Raising a hard limit needs CAP_SYS_RESOURCE, which even root may lack
	// (containers drop it), so a game gets at most the edge's own.
	var own unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &own) == nil && files > own.Max {
		files = own.Max
	}
	errs := []error{
		set("nofile", unix.RLIMIT_NOFILE, files, files),
		set("core", unix.RLIMIT_CORE, 0, 0),
	}
	if l.AddressSpace != 0 {
		errs = append(errs, set("as", unix.RLIMIT_AS, l.AddressSpace, l.AddressSpace))
	}
	if l.CPUSeconds != 0 {
		errs = append(errs, set("cpu", unix.RLIMIT_CPU, l.CPUSeconds, l.CPUSeconds+cpuGrace))
	}
	return errors.Join(errs...)
}
