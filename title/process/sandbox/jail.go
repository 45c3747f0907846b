package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// Spec is what one session's game may see and do.
type Spec struct {
	// Session names the cgroup.
	Session string
	// ReadOnly and Writable are paths the game sees at the same place:
	// the install directory, the session's own directory, its display's
	// and sound server's sockets.
	ReadOnly []string
	Writable []string
	// Devices are device nodes the game may open (the session's GPU).
	Devices []string
	// Owned are files and directories given to the session's uid (its
	// home, runtime directory, X and sound cookies), when sessions get
	// uids.
	Owned []string
	// Network keeps the host's network; otherwise the game has only a
	// loopback of its own.
	Network bool
	// Workdir is where the game starts.
	Workdir string
}

// Jail is one session's sandbox: its uid and cgroup. Close it when the
// game has ended.
type Jail struct {
	s    *Sandbox
	spec Spec
	uid  int // -1: the edge's own
	cg   *cgroupSet

	closeOnce sync.Once
	closeErr  error
}

// Open reserves a uid and makes the cgroup for a session.
func (s *Sandbox) Open(spec Spec) (*Jail, error) {
	if s.why != nil {
		return nil, s.why
	}
	j := &Jail{s: s, spec: spec, uid: -1}
	if s.setuid {
		for _, p := range append(append([]string{}, spec.ReadOnly...), spec.Writable...) {
			if err := reachable(p); err != nil {
				return nil, err
			}
		}
		uid, err := s.takeUID()
		if err != nil {
			return nil, err
		}
		j.uid = uid
		for _, p := range spec.Owned {
			// Lchown: a planted link must not hand its target over.
			if err := os.Lchown(p, uid, uid); err != nil {
				j.Close()
				return nil, fmt.Errorf("sandbox: give %s to the session: %w", p, err)
			}
		}
	}
	if s.cgroups != nil {
		cg, err := s.cgroups.create(spec.Session)
		if err != nil {
			j.Close()
			return nil, err
		}
		j.cg = cg
	}
	return j, nil
}

// reachable checks that another uid may pass through every directory
// above path: bubblewrap resolves the paths it mounts as the session's
// uid, and a private parent would fail there with a bare "Permission
// denied".
func reachable(path string) error {
	for d := filepath.Dir(path); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("sandbox: %s: %w", d, err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("sandbox: a session's uid cannot reach %s: %s is mode %v (others need to pass through it: chmod o+x)", path, d, fi.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

func (s *Sandbox) takeUID() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for u := s.cfg.FirstUID; u < s.cfg.FirstUID+s.cfg.UIDs; u++ {
		if !s.used[u] {
			s.used[u] = true
			return u, nil
		}
	}
	return 0, fmt.Errorf("sandbox: all %d session uids are in use", s.cfg.UIDs)
}

// Command returns the command that runs path with args in the jail. The
// caller sets its environment, output and process attributes, starts it,
// then calls the returned done, which closes the edge's copies of the
// files handed to bubblewrap.
func (j *Jail) Command(path string, args []string) (cmd *exec.Cmd, done func(), err error) {
	var files []*os.File
	done = func() {
		for _, f := range files {
			f.Close()
		}
	}
	open := func(p string) (int, error) {
		fd, err := unix.Open(p, unix.O_PATH|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
		if err != nil {
			return 0, fmt.Errorf("sandbox: %s: %w", p, err)
		}
		files = append(files, os.NewFile(uintptr(fd), p))
		return 2 + len(files), nil // ExtraFiles start at 3
	}
	var binds []string
	for _, set := range []struct {
		flag  string
		paths []string
	}{{"--ro-bind-fd", j.spec.ReadOnly}, {"--bind-fd", j.spec.Writable}} {
		for _, p := range set.paths {
			n, err := open(p)
			if err != nil {
				done()
				return nil, nil, err
			}
			binds = append(binds, set.flag, itoa(n), p)
		}
	}
	var procs []string
	if j.cg != nil {
		procs = j.cg.procs
	}
	bw := append(j.s.bwrapArgs(j.spec, binds), "--", path)
	argv := j.s.wrap(j.uid, procs, append(bw, args...))
	cmd = exec.Command(argv[0], argv[1:]...)
	cmd.ExtraFiles = files
	return cmd, done, nil
}

// enterScript puts the shell into each cgroup named before "--", then
// becomes the rest of its arguments: every process the game makes is
// born inside, none can be forked before the shell got there.
// It also turns core dumps off: a crashing game must not fill the disk.
const enterScript = `ulimit -c 0; for f do shift; [ "$f" = -- ] && break; echo $$ > "$f" || exit 126; done; exec "$@"`

// wrap is the command line that enters the cgroups (procs files), turns
// into uid (when not -1 and the edge may) and runs bubblewrap with args.
func (s *Sandbox) wrap(uid int, procs []string, args []string) []string {
	argv := append([]string{"/bin/sh", "-c", enterScript, "sh"}, procs...)
	argv = append(argv, "--")
	if s.setuid && uid >= 0 {
		id := itoa(uid)
		// Changing uid clears the parent-death signal the edge set:
		// set it again, so that bubblewrap, and with it the game's
		// namespaces, end with the edge even when it crashes.
		argv = append(argv, "setpriv", "--reuid="+id, "--regid="+id, "--clear-groups", "--no-new-privs", "--pdeathsig=KILL", "--")
	}
	return append(append(argv, s.bwrap), args...)
}

// bwrapArgs confine one game: namespaces, the system read-only, private
// /tmp, then binds (bubblewrap options, in order).
func (s *Sandbox) bwrapArgs(spec Spec, binds []string) []string {
	a := []string{"--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
		"--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "stratus-game"}
	if !spec.Network {
		a = append(a, "--unshare-net")
	}
	a = append(a, "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc")
	// Merged-/usr systems have these as links into /usr, others as
	// directories.
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		if t, err := os.Readlink(d); err == nil {
			a = append(a, "--symlink", t, d)
		} else if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			a = append(a, "--ro-bind", d, d)
		}
	}
	a = append(a, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp")
	a = append(a, binds...)
	for _, d := range spec.Devices {
		a = append(a, "--dev-bind-try", d, d)
	}
	if spec.Workdir != "" {
		a = append(a, "--chdir", spec.Workdir)
	}
	return a
}

// Close kills what is left, removes the cgroup and gives the uid back.
// Safe twice.
func (j *Jail) Close() error {
	j.closeOnce.Do(func() {
		var errs []error
		if j.cg != nil {
			j.cg.kill()
			errs = append(errs, j.cg.remove())
		}
		if j.uid >= 0 {
			j.s.mu.Lock()
			delete(j.s.used, j.uid)
			j.s.mu.Unlock()
		}
		j.closeErr = errors.Join(errs...)
	})
	return j.closeErr
}

// Pids lists the session's processes, from its cgroup; nil without one.
func (j *Jail) Pids() []int {
	if j.cg == nil {
		return nil
	}
	return j.cg.pids()
}
