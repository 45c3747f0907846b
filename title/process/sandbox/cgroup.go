package sandbox

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cgroups is this edge's parent cgroup: one directory per controller on
// cgroup v1, one on v2. Each session gets a child.
type cgroups struct {
	v2      bool
	parents []string // per controller (v1) or the one (v2)
	memory  uint64
	pids    int
	cpus    float64
}

// controllersV1 are the v1 hierarchies a session joins; pids is the one
// that must exist, since it is what ends a session's every process.
var controllersV1 = []string{"pids", "memory", "cpu", "freezer"}

func openCgroups(root, name string, memory uint64, pids int, cpus float64) (*cgroups, error) {
	h := fnv.New64a()
	h.Write([]byte(name))
	leaf := filepath.Join("stratus", fmt.Sprintf("edge-%x", h.Sum64()))
	c := &cgroups{memory: memory, pids: pids, cpus: cpus}
	var st unix.Statfs_t
	if unix.Statfs(root, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		c.v2 = true
		p := filepath.Join(root, leaf)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, fmt.Errorf("cgroup v2: %w", err)
		}
		// Controllers reach a child only through each ancestor's
		// subtree_control; these ancestors hold no processes.
		for _, d := range []string{root, filepath.Join(root, "stratus"), p} {
			for _, ctl := range []string{"+memory", "+pids", "+cpu"} {
				os.WriteFile(filepath.Join(d, "cgroup.subtree_control"), []byte(ctl), 0)
			}
		}
		c.parents = []string{p}
	} else {
		for _, ctl := range controllersV1 {
			base := filepath.Join(root, ctl)
			if _, err := os.Stat(filepath.Join(base, "cgroup.procs")); err != nil {
				if ctl == "pids" {
					return nil, fmt.Errorf("no pids cgroup at %s", base)
				}
				continue
			}
			p := filepath.Join(base, leaf)
			if err := os.MkdirAll(p, 0o755); err != nil {
				return nil, fmt.Errorf("cgroup v1 %s: %w", ctl, err)
			}
			c.parents = append(c.parents, p)
		}
	}
	c.sweep()
	return c, nil
}

func (c *cgroups) describe() string {
	v := "v1"
	if c.v2 {
		v = "v2"
	}
	cpu := "no CPU limit"
	if c.cpus > 0 {
		cpu = fmt.Sprintf("%.1f CPUs", c.cpus)
	}
	return fmt.Sprintf("each in a cgroup (%s) of %d MiB, %d processes, %s", v, c.memory>>20, c.pids, cpu)
}

// sweep ends the sessions a previous run of this edge left behind when it
// crashed: their cgroups still hold whatever they ran.
func (c *cgroups) sweep() {
	entries, err := os.ReadDir(c.parents[0])
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		cs := c.set(e.Name())
		cs.kill()
		cs.remove()
	}
}

// cgroupSet is one session's cgroup in each hierarchy.
type cgroupSet struct {
	v2      bool
	dirs    []string
	procs   []string // the files a process joins by writing its pid
	freezer string   // v1 freezer directory, or ""
}

func (c *cgroups) set(session string) *cgroupSet {
	cs := &cgroupSet{v2: c.v2}
	for _, p := range c.parents {
		d := filepath.Join(p, session)
		cs.dirs = append(cs.dirs, d)
		cs.procs = append(cs.procs, filepath.Join(d, "cgroup.procs"))
		if !c.v2 && filepath.Base(filepath.Dir(filepath.Dir(p))) == "freezer" {
			cs.freezer = d
		}
	}
	return cs
}

func (c *cgroups) create(session string) (*cgroupSet, error) {
	if session == "" || session == "." || session == ".." || filepath.Base(session) != session {
		return nil, fmt.Errorf("sandbox: bad session name %q", session)
	}
	cs := c.set(session)
	for _, d := range cs.dirs {
		if err := os.Mkdir(d, 0o755); err != nil {
			cs.remove()
			return nil, fmt.Errorf("sandbox: cgroup: %w", err)
		}
	}
	var errs []error
	write := func(dir, file, v string) {
		if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
			return // this hierarchy does not carry that limit
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte(v), 0); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", file, err))
		}
	}
	for _, d := range cs.dirs {
		if c.v2 {
			write(d, "memory.max", strconv.FormatUint(c.memory, 10))
			write(d, "memory.swap.max", "0")
			write(d, "pids.max", strconv.Itoa(c.pids))
			if c.cpus > 0 {
				write(d, "cpu.max", fmt.Sprintf("%d 100000", int(c.cpus*100000)))
			}
			continue
		}
		write(d, "memory.limit_in_bytes", strconv.FormatUint(c.memory, 10))
		write(d, "pids.max", strconv.Itoa(c.pids))
		if c.cpus > 0 {
			write(d, "cpu.cfs_period_us", "100000")
			write(d, "cpu.cfs_quota_us", strconv.Itoa(int(c.cpus*100000)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		cs.remove()
		return nil, fmt.Errorf("sandbox: cgroup limits: %w", err)
	}
	return cs, nil
}

// pids lists the processes in the session's cgroup.
func (cs *cgroupSet) pids() []int {
	b, err := os.ReadFile(cs.procs[0])
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// killWait bounds kill: SIGKILL lands at once, but exiting processes
// leave the cgroup only when their parents reap them.
const killWait = 3 * time.Second

// kill SIGKILLs every process in the cgroup until none is left. A fork
// bomb forks while it is being killed, so the v1 freezer stops it first
// where there is one; v2 has cgroup.kill for that.
func (cs *cgroupSet) kill() {
	if cs.v2 {
		if os.WriteFile(filepath.Join(cs.dirs[0], "cgroup.kill"), []byte("1"), 0) == nil {
			cs.waitEmpty()
			return
		}
	}
	if cs.freezer != "" {
		os.WriteFile(filepath.Join(cs.freezer, "freezer.state"), []byte("FROZEN"), 0)
		defer os.WriteFile(filepath.Join(cs.freezer, "freezer.state"), []byte("THAWED"), 0)
	}
	deadline := time.Now().Add(killWait)
	for time.Now().Before(deadline) {
		ps := cs.pids()
		if len(ps) == 0 {
			return
		}
		for _, p := range ps {
			syscall.Kill(p, syscall.SIGKILL)
		}
		if cs.freezer != "" {
			// Frozen processes die only once thawed.
			os.WriteFile(filepath.Join(cs.freezer, "freezer.state"), []byte("THAWED"), 0)
			time.Sleep(5 * time.Millisecond)
			os.WriteFile(filepath.Join(cs.freezer, "freezer.state"), []byte("FROZEN"), 0)
		} else {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func (cs *cgroupSet) waitEmpty() {
	deadline := time.Now().Add(killWait)
	for len(cs.pids()) > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// remove deletes the session's cgroup directories; a cgroup goes only
// once its last process has been reaped.
func (cs *cgroupSet) remove() error {
	var errs []error
	for _, d := range cs.dirs {
		deadline := time.Now().Add(killWait)
		for {
			err := os.Remove(d)
			if err == nil || os.IsNotExist(err) {
				break
			}
			if time.Now().After(deadline) {
				errs = append(errs, fmt.Errorf("sandbox: cgroup %s: %w", d, err))
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return errors.Join(errs...)
}

// removeParents deletes this edge's parent cgroups (empty once every
// session is gone).
func (c *cgroups) removeParents() error {
	for _, p := range c.parents {
		os.Remove(p)
	}
	return nil
}
