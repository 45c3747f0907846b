package process

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// sweep cleans up after a previous run of this edge that did not Close its
// instances (it crashed or was killed). Every record left in RunDir/sessions
// is such a session. Processes are killed outright: no player waits for
// them.
func (r *Runtime) sweep() {
	files, _ := filepath.Glob(filepath.Join(r.dirs.sessions, "*"))
	for _, f := range files {
		if !strings.HasSuffix(f, ".json") {
			os.Remove(f) // a record write cut short
			continue
		}
		rec, err := readRecord(f)
		if err != nil {
			r.log.Warn("process: unreadable session record; killing what carries its marker", "file", f, "err", err)
			rec.Session = sessionOf(f)
		}
		if r.sweepSession(rec) {
			os.Remove(f)
		} // else keep it: the next run tries again

	}
	// Per-session scratch directories belong to sessions of a previous run.
	dirs, _ := os.ReadDir(r.dirs.tmp)
	for _, d := range dirs {
		os.RemoveAll(filepath.Join(r.dirs.tmp, d.Name()))
	}
}

// sweepSession reports whether nothing of the session is left running.
func (r *Runtime) sweepSession(rec record) bool {
	if validSession(rec.Session) != nil {
		return true // not a name this runtime writes; nothing carries it
	}
	marker := "STRATUS_SESSION=" + rec.Session
	var groups []int
	for _, g := range []int{rec.GamePGID, rec.XvfbPGID} {
		if g > 1 {
			groups = append(groups, g)
		}
	}
	killed, left := terminate(target{marker: marker, groups: groups}, 0, killWait)

	// The recorded Xvfb normally went with its marker above. Started with
	// -displayfd, its command line names no display, so it is recognised by
	// its binary name plus the marker or the display's lock file naming its
	// PID: a recycled PID is never shot.
	display := rec.Display
	if display < 0 && rec.XvfbPID > 0 {
		display = displayOfPID(rec.XvfbPID)
	}
	if pid := rec.XvfbPID; pid > 1 && alive(pid) && r.isOurXvfb(pid, display, marker) {
		syscall.Kill(pid, syscall.SIGKILL)
		killed++
		waitGone(pid, killWait)
	}
	removed := removeDisplayFiles(display)
	r.log.Info("process: swept a session left by a previous run",
		"session", rec.Session, "started", rec.Started, "killed", killed, "survivors", left,
		"display", display, "display_files_removed", removed)
	xvfbLeft := rec.XvfbPID > 1 && alive(rec.XvfbPID) && r.isOurXvfb(rec.XvfbPID, display, marker)
	return len(left) == 0 && !xvfbLeft
}

// isOurXvfb reports whether pid is the X server of the record: an Xvfb
// binary that carries the session marker or holds the display's lock.
func (r *Runtime) isOurXvfb(pid, display int, marker string) bool {
	args := cmdline(pid)
	if len(args) == 0 || filepath.Base(args[0]) != filepath.Base(r.cfg.Xvfb) {
		return false
	}
	if hasMarker(pid, marker) {
		return true
	}
	lock, ok := lockPID(display)
	return display >= 0 && ok && lock == pid
}

// waitGone waits up to d for pid to exit.
func waitGone(pid int, d time.Duration) {
	deadline := time.Now().Add(d)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(poll)
	}
}
