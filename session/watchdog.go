package session

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// A game can stop answering: a program that stops its own display server
// leaves the capture call waiting forever, and an encoder can hang in C.
// The session's loop therefore runs on a goroutine of its own, and Run
// watches it: the loop marks each call it makes into the title or the
// encoder (a stage and when it began, one atomic word), and Run looks at
// the mark a few times per deadline. A call that has not returned after
// Config.StallAfter ends the session at once: Run kills the title's
// processes (Killer), and returns without waiting for the call. The loop's
// goroutine is abandoned; it owns the title and the encoder it is stuck
// in, and closes them if the call ever returns.

// DefaultStallAfter is the watchdog's deadline when Config.StallAfter is
// zero. A real frame takes milliseconds (a 1080p capture and x264 encode
// stay under 50 ms on a loaded edge), so 2 s is far from any honest game
// and still short enough that a player sees a clear end, not a frozen
// picture.
const DefaultStallAfter = 2 * time.Second

// watchChecks is how many times per deadline Run looks at the loop's
// mark: a stall is caught between 1 and 1+1/watchChecks deadlines after
// the call began, for a few wake-ups a second per session.
const watchChecks = 8

// ErrStalled is wrapped by the error of a session that the watchdog ended.
var ErrStalled = errors.New("stopped responding")

// StallError says which call stalled and for how long it was given.
type StallError struct {
	Stage    Stage
	Deadline time.Duration
}

func (e *StallError) Error() string {
	who := "the game"
	if e.Stage == StageEncode {
		who = "the encoder"
	}
	return fmt.Sprintf("%s %s: %s took longer than %v", who, ErrStalled, e.Stage, e.Deadline)
}

// Is makes errors.Is(err, ErrStalled) hold.
func (e *StallError) Is(target error) bool { return target == ErrStalled }

// Killer is implemented by titles that run outside the edge's process (a
// game program and its display server). Kill ends them at once, without
// waiting for any call in progress, so that a call stuck on them returns;
// it must not wait for the title's other methods, and must return within a
// second or so. It may be called from any goroutine, while Render or Input
// runs, and before or after Close.
type Killer interface {
	Kill()
}

// Stage is the call the loop is in, as the watchdog sees it.
type Stage uint8

const (
	stageIdle Stage = iota // between frames: nothing to watch
	StageInput
	StageCapture
	StageEncode
	StageSend
	StageSound
	StageSnapshot
	StageClose
	stageAbandoned // the watchdog gave up on the loop
)

func (s Stage) String() string {
	switch s {
	case StageInput:
		return "input"
	case StageCapture:
		return "capture"
	case StageEncode:
		return "encode"
	case StageSend:
		return "sending"
	case StageSound:
		return "sound"
	case StageSnapshot:
		return "snapshot"
	case StageClose:
		return "closing"
	}
	return fmt.Sprintf("stage(%d)", uint8(s))
}

// A mark packs a stage (the low 8 bits) and when it began (the rest,
// nanoseconds since the loop's base time on the monotonic clock: 2^56 ns
// is over two years). Packing lets the loop and the watchdog agree on
// both with one compare-and-swap.
func mark(s Stage, since time.Duration) uint64 { return uint64(since)<<8 | uint64(s) }

func markStage(m uint64) Stage         { return Stage(m & 0xff) }
func markSince(m uint64) time.Duration { return time.Duration(m >> 8) }

// watch is the state the loop shares with its watchdog.
type watch struct {
	base time.Time
	mark atomic.Uint64
	last uint64 // the loop's own last mark; loop goroutine only
}

func newWatch() *watch { return &watch{base: time.Now()} }

// enter records that the loop begins stage s. It reports false when the
// watchdog has abandoned the loop: the loop must then stop at once, since
// the session has ended without it.
func (w *watch) enter(s Stage) bool {
	m := mark(s, time.Since(w.base))
	if !w.mark.CompareAndSwap(w.last, m) {
		return false
	}
	w.last = m
	return true
}

// stalled reports the stage of a call that began more than deadline
// before now, and abandons the loop if so: from then on, enter fails.
func (w *watch) stalled(now time.Time, deadline time.Duration) (Stage, bool) {
	m := w.mark.Load()
	s := markStage(m)
	if s == stageIdle || s == stageAbandoned || now.Sub(w.base)-markSince(m) <= deadline {
		return 0, false
	}
	if !w.mark.CompareAndSwap(m, mark(stageAbandoned, 0)) {
		return 0, false // the call returned just now
	}
	return s, true
}
