package process

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is one line of the process table, from /proc/<pid>/stat.
type proc struct {
	pid, pgid int
	state     byte // R, S, D, Z (zombie), X (dead), …
}

// live reports whether p still runs. A zombie has exited and only waits to
// be reaped by its parent (possibly an init that never reaps), so it counts
// as gone.
func (p proc) live() bool { return p.state != 'Z' && p.state != 'X' }

// listProcs reads the process table. Processes that exit while it reads are
// skipped.
func listProcs() []proc {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := make([]proc, 0, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok {
			out = append(out, p)
		}
	}
	return out
}

// readProc parses /proc/<pid>/stat: "pid (comm) state ppid pgrp …". The
// command name may hold spaces and parentheses, so fields are counted from
// the last ')'.
func readProc(pid int) (proc, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return proc{}, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return proc{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 3 || len(f[0]) != 1 {
		return proc{}, false
	}
	pgid, err := strconv.Atoi(f[2])
	if err != nil {
		return proc{}, false
	}
	return proc{pid: pid, pgid: pgid, state: f[0][0]}, true
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	p, ok := readProc(pid)
	return ok && p.live()
}

// hasMarker reports whether the process was started with the environment
// entry marker ("STRATUS_SESSION=<id>"). Unreadable environments (another
// user's processes, when the edge is not root) never match.
func hasMarker(pid int, marker string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if string(kv) == marker {
			return true
		}
	}
	return false
}

// cmdline returns the process's argument vector.
func cmdline(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

// target selects a session's processes: everything carrying marker, and
// every member of the listed process groups that still holds a process
// carrying it. The condition on groups keeps a recycled group ID (the
// kernel reuses them once the group empties) from naming a stranger's
// processes. trust, if set, vouches for a group without the marker (a
// running instance knows its own unreaped leader, which may have cleared
// its environment). skip excludes one group (Xvfb's, while the game is
// stopped first).
type target struct {
	marker string
	groups []int
	trust  func(pgid int) bool
	skip   int
}

// find returns the live processes that t selects, and the groups it may
// signal as a whole.
func (t target) find() (pids, groups []int) {
	self := os.Getpid()
	ps := listProcs()
	inGroup := func(pg int) bool {
		for _, g := range t.groups {
			if g > 1 && g == pg {
				return true
			}
		}
		return false
	}
	verified := map[int]bool{}
	var members []proc
	for _, p := range ps {
		if !p.live() || p.pid == self || p.pid == 1 || (t.skip > 0 && p.pgid == t.skip) {
			continue
		}
		marked := hasMarker(p.pid, t.marker)
		if marked {
			pids = append(pids, p.pid)
		}
		if inGroup(p.pgid) {
			members = append(members, p)
			if marked || t.trust != nil && t.trust(p.pgid) {
				verified[p.pgid] = true
			}
		}
	}
	for _, p := range members {
		if verified[p.pgid] && !hasMarker(p.pid, t.marker) {
			pids = append(pids, p.pid) // left its marker behind (a cleared environment)
		}
	}
	for g := range verified {
		groups = append(groups, g)
	}
	return pids, groups
}

// poll is how often terminate looks whether the processes are gone.
const poll = 10 * time.Millisecond

// terminate sends SIGTERM to what t selects and waits up to grace for it to
// go, then SIGKILLs what is left and waits up to killWait. A grace of 0
// kills at once. It returns how many processes it signalled and the PIDs
// still alive at the end.
func terminate(t target, grace, killWait time.Duration) (signalled int, left []int) {
	seen := map[int]bool{}
	round := func(sig syscall.Signal, wait time.Duration) []int {
		deadline := time.Now().Add(wait)
		for {
			pids, groups := t.find()
			if len(pids) == 0 {
				return nil
			}
			if time.Now().After(deadline) {
				return pids
			}
			// A process forked since the last look gets the signal on the
			// next round, so signal everything found each time.
			for _, g := range groups {
				syscall.Kill(-g, sig)
			}
			for _, pid := range pids {
				seen[pid] = true
				syscall.Kill(pid, sig)
			}
			time.Sleep(poll)
		}
	}
	if grace > 0 {
		if round(syscall.SIGTERM, grace) == nil {
			return len(seen), nil
		}
	}
	left = round(syscall.SIGKILL, killWait)
	return len(seen), left
}

// Display files that an X server leaves behind when it is killed.
func lockFile(display int) string   { return "/tmp/.X" + strconv.Itoa(display) + "-lock" }
func socketFile(display int) string { return "/tmp/.X11-unix/X" + strconv.Itoa(display) }

// lockPID reads the PID an X server wrote into its lock file.
func lockPID(display int) (int, bool) {
	b, err := os.ReadFile(lockFile(display))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid, err == nil
}

// removeDisplayFiles deletes a dead server's lock and socket. If the lock
// names a live process, another server owns the display now and both files
// stay. It reports whether it removed anything.
func removeDisplayFiles(display int) bool {
	if display < 0 {
		return false
	}
	if pid, ok := lockPID(display); ok && alive(pid) {
		return false
	}
	a := os.Remove(lockFile(display)) == nil
	b := os.Remove(socketFile(display)) == nil
	return a || b
}

// displayOfPID finds the display whose lock file names pid, for a record
// written before the server reported its display number.
func displayOfPID(pid int) int {
	locks, _ := filepath.Glob("/tmp/.X*-lock")
	for _, l := range locks {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(l), ".X"), "-lock"))
		if err != nil {
			continue
		}
		if p, ok := lockPID(n); ok && p == pid {
			return n
		}
	}
	return -1
}
