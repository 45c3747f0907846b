package process

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"stratus/title"
	"stratus/title/process/x11"
)

// ErrExited is wrapped by Render's error (and Err) once the game process has
// exited. The error text says how ("game exited: exit status 3: <last log
// line>") and is meant to be shown to the player.
var ErrExited = title.ErrEnded

// Render captures the display. It never waits for the game: a goroutine
// watches the process, and Render only looks whether it has exited. The
// capture itself is one round trip to Xvfb, which also says where the
// pointer is, to draw it (Config.NoCursor); a game holding a server grab
// (XGrabServer) delays it until the grab ends, and Close, which kills the
// game, always ends it.
func (i *Instance) Render(now time.Time) (*title.Frame, error) {
	if i.stopping.Load() {
		return nil, ErrClosed
	}
	select {
	case <-i.done:
		return nil, i.exitErr
	default:
	}
	f, err := i.disp.Capture()
	if err == nil {
		return f, nil
	}
	select {
	case <-i.done: // the game went down with the display, or just before
		return nil, i.exitErr
	default:
	}
	switch {
	case i.stopping.Load() || errors.Is(err, x11.ErrClosed):
		return nil, ErrClosed
	case errors.Is(err, x11.ErrLost):
		msg := "display server exited"
		if ls := i.xvfb.stderr.lines(2, 200); len(ls) > 0 {
			msg += ": " + strings.Join(ls, " / ")
		}
		return nil, fmt.Errorf("%s: %w", msg, err)
	}
	return nil, fmt.Errorf("capture: %w", err)
}

// exitError describes how the game ended. stopped means Close ended it.
func exitError(st *os.ProcessState, waitErr error, out *logFile, stopped, sandboxed bool) error {
	how := "exit status unknown"
	if waitErr != nil && st == nil {
		how = waitErr.Error()
	}
	if st != nil {
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			how = fmt.Sprintf("killed by signal %d (%s)", int(ws.Signal()), unix.SignalName(ws.Signal()))
			if ws.CoreDump() {
				how += ", core dumped"
			}
		} else if sig := syscall.Signal(st.ExitCode() - 128); sandboxed && st.ExitCode() > 128 && sig <= 64 && unix.SignalName(sig) != "" {
			// bubblewrap reports a sandboxed game's death by signal as
			// 128 plus the signal, like a shell.
			how = fmt.Sprintf("killed by signal %d (%s)", int(sig), unix.SignalName(sig))
		} else {
			how = fmt.Sprintf("exit status %d", st.ExitCode())
		}
	}
	if stopped {
		return fmt.Errorf("%w: stopped by the edge (%s)", ErrExited, how)
	}
	// The last lines of a short log usually say why (a missing file, a
	// driver error); a long one is in the log file.
	if out != nil {
		if ls := out.lines(3, 240); len(ls) > 0 {
			how += ": " + strings.Join(ls, " / ")
		}
	}
	return fmt.Errorf("%w: %s", ErrExited, how)
}
