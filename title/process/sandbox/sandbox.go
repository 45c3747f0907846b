// Package sandbox runs a studio's game where it can reach neither its edge
// nor another session: bubblewrap (Debian's bubblewrap) gives each session
// its own user, PID, IPC, UTS, cgroup and (unless the title asks for it)
// network namespaces, a read-only view of the system with the title's
// install directory read-only, a private /tmp, only the session's own
// directory, display and sound sockets and device nodes, no capabilities
// and no_new_privs. Where the edge may switch users (root, CAP_SETUID),
// each live session also runs as a uid of its own from a configured range,
// so that even outside its namespaces it owns nothing of the edge's or of
// another session's.
//
// Each session also gets a cgroup of its own, where the host lets the edge
// make one (v2, or v1 where only that is mounted), with limits on memory,
// processes and CPU; the session is ended through it: every process in it
// is killed, whatever session or process group it made for itself. The PID
// namespace ends the same way when its first process dies, which bubblewrap
// ties to the edge's child (--die-with-parent). When the edge is killed,
// those parent-death signals usually end the game too, but not always; the
// edge's next start then kills what its cgroups still hold (sweep).
//
// Paths reach bubblewrap as file descriptors the edge opened (--bind-fd),
// so the session's uid needs no access to the edge's private run
// directory, and a path swapped for a symbolic link after the edge checked
// it cannot redirect a mount.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// Config configures a Sandbox. Zero fields take the defaults below.
type Config struct {
	// Bwrap is the bubblewrap binary: a path, or a name looked up in PATH.
	Bwrap string
	// FirstUID and UIDs are the uids sessions run as, one per live
	// session (the gid is the same number). The default range lies above
	// the ids distributions hand out (0–65535) and the first blocks of
	// subordinate ids (100000–), so that a session's uid owns nothing
	// else on the host.
	FirstUID, UIDs int
	// Memory is each session's memory limit in bytes; Pids its process
	// limit, which contains fork bombs; CPUs its CPU limit in cores (0:
	// none, the default, since a game may use every core the edge gives
	// it).
	Memory uint64
	Pids   int
	CPUs   float64
	// CgroupRoot is where cgroup file systems are mounted.
	CgroupRoot string
	// Name keeps this edge's cgroups apart from another edge's on the
	// same host; the run directory's path is a good one.
	Name string
	Log  *slog.Logger
}

const (
	defaultFirstUID = 600000
	defaultUIDs     = 1024
	defaultMemory   = 8 << 30 // a large game's working set, not the host's
	defaultPids     = 1024    // far above what a game starts, far below a host's limit
)

func (c Config) withDefaults() Config {
	if c.Bwrap == "" {
		c.Bwrap = "bwrap"
	}
	if c.UIDs == 0 {
		c.FirstUID, c.UIDs = defaultFirstUID, defaultUIDs
	}
	if c.Memory == 0 {
		c.Memory = defaultMemory
	}
	if c.Pids == 0 {
		c.Pids = defaultPids
	}
	if c.CgroupRoot == "" {
		c.CgroupRoot = "/sys/fs/cgroup"
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.FirstUID < 0 || c.UIDs < 0 || c.FirstUID+c.UIDs > 1<<31 {
		errs = append(errs, fmt.Errorf("sandbox: uids %d+%d: out of range", c.FirstUID, c.UIDs))
	}
	if c.UIDs > 0 && c.FirstUID < 1000 {
		errs = append(errs, fmt.Errorf("sandbox: first uid %d: below 1000, where system users live", c.FirstUID))
	}
	if c.Pids < 0 || c.CPUs < 0 {
		errs = append(errs, errors.New("sandbox: limits must not be negative"))
	}
	return errors.Join(errs...)
}

// Sandbox starts sessions' games in jails. Safe for concurrent use.
type Sandbox struct {
	cfg   Config
	log   *slog.Logger
	bwrap string
	// setuid is true when the edge may switch users: each session then
	// gets a uid of its own.
	setuid  bool
	cgroups *cgroups // nil where the host lets the edge make none
	why     error    // why games cannot be sandboxed here; nil when they can

	mu   sync.Mutex
	used map[int]bool // uids of live sessions
}

// New checks what this host allows: bubblewrap present and able to make
// namespaces, users to switch to, cgroups to make. A host that cannot
// sandbox at all is not an error here: Available says why, and the
// runtime refuses process titles unless the operator accepts the risk.
func New(cfg Config) (*Sandbox, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Sandbox{cfg: cfg, log: cfg.Log, used: map[int]bool{}}
	s.setuid = os.Geteuid() == 0
	bw, err := exec.LookPath(cfg.Bwrap)
	if err != nil {
		s.why = fmt.Errorf("studio games cannot be sandboxed: %s not found (install the Debian package bubblewrap): %w", cfg.Bwrap, err)
		return s, nil
	}
	s.bwrap = bw
	if err := s.try(); err != nil {
		s.why = fmt.Errorf("studio games cannot be sandboxed: bubblewrap cannot make namespaces here: %w", err)
		return s, nil
	}
	s.cgroups, err = openCgroups(cfg.CgroupRoot, cfg.Name, cfg.Memory, cfg.Pids, cfg.CPUs)
	if err != nil {
		s.log.Warn("sandbox: games get no cgroup (no memory, process or CPU limit beyond setrlimit)", "why", err)
		s.cgroups = nil
	}
	return s, nil
}

// try runs `true` in a jail like a session's, as a session's uid.
func (s *Sandbox) try() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	argv := s.wrap(s.cfg.FirstUID, nil, append(s.bwrapArgs(Spec{}, nil), "--", "/bin/true"))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, firstLine(out))
	}
	return nil
}

// Available reports why games cannot be sandboxed here, or nil.
func (s *Sandbox) Available() error { return s.why }

// Describe says how games are confined here, for the edge's start-up log.
func (s *Sandbox) Describe() string {
	if s.why != nil {
		return s.why.Error()
	}
	who := "the edge's uid in a user namespace"
	if s.setuid {
		who = fmt.Sprintf("a uid of their own (%d–%d)", s.cfg.FirstUID, s.cfg.FirstUID+s.cfg.UIDs-1)
	}
	limits := "no cgroup limits"
	if s.cgroups != nil {
		limits = s.cgroups.describe()
	}
	return fmt.Sprintf("games run in bubblewrap namespaces as %s, %s", who, limits)
}

// Close removes this edge's cgroup parents, once every jail is closed.
func (s *Sandbox) Close() error {
	if s.cgroups == nil {
		return nil
	}
	return s.cgroups.removeParents()
}

func firstLine(b []byte) string {
	for i, c := range b {
		if c == '\n' {
			return string(b[:i])
		}
	}
	return string(b)
}

func itoa(n int) string { return strconv.Itoa(n) }
