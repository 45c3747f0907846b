package process

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"
)

// Close stops the game and its X server, removes the session's files and
// frees the capture memory. Safe to call twice and from any goroutine.
func (i *Instance) Close() error {
	err := i.stop()
	i.closeOnce.Do(func() {
		if i.disp != nil {
			i.closeDisplay()
		}
	})
	return err
}

// displayCloseWait bounds how long Close waits for the capture connection
// to close. Closing takes microseconds on a live or a cleanly dead server,
// but after the server was killed under a capture (Kill, a game that
// stopped its display) Xlib's close can hang; a second is plenty for the
// first case and keeps a session's end prompt in the second.
const displayCloseWait = time.Second

// closeDisplay closes the capture connection, or gives up after
// displayCloseWait: the goroutine doing it is then left behind, owning only
// that connection and its frame memory, which it frees if the close ever
// returns. One such connection per stalled game is the price of never
// holding up the edge.
func (i *Instance) closeDisplay() {
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		i.disp.Close()
	}()
	select {
	case <-closed:
	case <-time.After(displayCloseWait):
		i.rt.log.Warn("process: the capture connection did not close; left behind", "session", i.spec.Session, "display", i.Display())
	}
}

// Grace periods: how long a game (and then Xvfb) may take to exit on
// SIGTERM before SIGKILL, and how long to wait after SIGKILL.
const (
	termGrace = 2 * time.Second
	killWait  = 2 * time.Second
)

// unreaped vouches for cmd's process group while its leader has not been
// waited for: until then the kernel cannot give the ID to anyone else.
func unreaped(cmd *exec.Cmd, done <-chan struct{}) func(int) bool {
	return func(pgid int) bool {
		select {
		case <-done:
			return false
		default:
			return pgid == cmd.Process.Pid
		}
	}
}

// stop ends the processes and removes the session's files, once.
func (i *Instance) stop() error {
	i.stopOnce.Do(func() { i.stopErr = i.doStop() })
	return i.stopErr
}

func (i *Instance) doStop() error {
	i.stopping.Store(true)
	var errs []error
	survivors := false
	// The game first, so it does not see its display vanish and complain.
	if i.game != nil {
		skip := 0
		if i.xvfb != nil {
			skip = i.xvfb.cmd.Process.Pid
		}
		t := target{marker: i.marker, groups: []int{i.game.Process.Pid}, trust: unreaped(i.game, i.done), skip: skip}
		if _, left := terminate(t, termGrace, killWait); len(left) > 0 {
			survivors = true
			errs = append(errs, fmt.Errorf("process: session %s: processes %v survived SIGKILL", i.spec.Session, left))
		}
		select {
		case <-i.done:
		case <-time.After(killWait):
			errs = append(errs, fmt.Errorf("process: session %s: game not reaped", i.spec.Session))
		}
	}
	if i.xvfb != nil {
		t := target{marker: i.marker, groups: []int{i.xvfb.cmd.Process.Pid}, trust: unreaped(i.xvfb.cmd, i.xvfb.done)}
		if _, left := terminate(t, termGrace, killWait); len(left) > 0 {
			survivors = true
			errs = append(errs, fmt.Errorf("process: session %s: Xvfb %v survived SIGKILL", i.spec.Session, left))
		}
		select {
		case <-i.xvfb.done:
		case <-time.After(killWait):
		}
		removeDisplayFiles(i.display) // Xvfb removes them on SIGTERM, not on SIGKILL
	}
	if i.jail != nil {
		// Whatever left the game's process group (setsid, a cleared
		// environment) is still in its cgroup.
		if err := i.jail.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if i.logR != nil {
		i.logR.Close() // ends the copier even if an escaped child holds the pipe
		<-i.copied
	}
	if i.log != nil {
		i.log.Close()
	}
	if err := os.RemoveAll(i.dir); err != nil {
		errs = append(errs, err)
	}
	// A record whose processes survived stays, so the next run's sweep
	// tries again.
	if !survivors {
		if err := os.Remove(i.recPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	i.rt.forget(i)
	return errors.Join(errs...)
}

// Kill ends every running game and X server at once, without a grace
// period: the edge is exiting now and cannot wait. It goes by the sessions'
// markers only, and leaves their records, so the edge's next start sweeps
// whatever this misses and the displays' files.
func (r *Runtime) Kill() {
	r.mu.Lock()
	markers := make([]string, 0, len(r.instances))
	for _, i := range r.instances {
		markers = append(markers, i.marker)
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, m := range markers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			terminate(target{marker: m}, 0, killWait/4)
		}()
	}
	wg.Wait()
}

// Kill ends the game and its X server at once: no grace period, and no
// waiting for a capture in progress. SIGKILL ends a stopped process too, so
// a game that stopped its own display server (SIGSTOP) cannot keep the
// capture waiting: the server's socket closes under it and the capture
// fails. Everything carrying the session's marker goes, its sound server
// included. The files and the capture memory are left to Close, which must
// still be called. Safe from any goroutine, while Render or Input runs, and
// any number of times, before or after Close.
func (i *Instance) Kill() {
	i.stopping.Store(true)
	t := target{marker: i.marker}
	var trusts []func(int) bool
	if i.game != nil {
		t.groups = append(t.groups, i.game.Process.Pid)
		trusts = append(trusts, unreaped(i.game, i.done))
	}
	if i.xvfb != nil {
		t.groups = append(t.groups, i.xvfb.cmd.Process.Pid)
		trusts = append(trusts, unreaped(i.xvfb.cmd, i.xvfb.done))
	}
	t.trust = func(pgid int) bool {
		for _, ok := range trusts {
			if ok(pgid) {
				return true
			}
		}
		return false
	}
	if _, left := terminate(t, 0, killWait); len(left) > 0 {
		i.rt.log.Warn("process: processes survived SIGKILL", "session", i.spec.Session, "pids", left)
	}
}
