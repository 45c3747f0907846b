package session

import (
	"time"

	"stratus/input"
)

// Phase locking. A frame is shown at the first display refresh after the
// browser has decoded it, so glass-to-glass latency is the pipeline's own
// time plus a wait for the refresh of anything between zero and one refresh
// interval. The two clocks tick at the same rate but in an arbitrary phase,
// so that wait is fixed by chance when a session starts. The page reports
// how long frames waited (input.KindPresent); the session moves its frame
// schedule so that frames are ready just before the refresh.
//
// How far before is the margin, and it adapts: a frame that misses its
// refresh is shown one refresh (16.7 ms at 60 Hz) late or not at all, which
// is the latency tail, so a second with misses widens the margin at once and
// a clean second narrows it a little. On a quiet machine the margin shrinks
// towards minMargin and p50 falls; on a busy one, where encode times
// spread, it grows until frames stop missing, which costs the median a few
// milliseconds and takes a whole refresh off the tail.
const (
	// startMargin is the margin a session starts with: enough to absorb
	// the spread of encode and decode times on a busy two-core machine.
	startMargin = 4 * time.Millisecond
	// minMargin and maxMargin bound the margin. Below minMargin the
	// timer and the browser's own scheduling alone make frames miss; a
	// margin near the refresh interval would lock to nothing.
	minMargin = 2 * time.Millisecond
	maxMargin = 12 * time.Millisecond
	// marginUp widens the margin after a second with misses, marginDown
	// narrows it after a clean one: slowly, so that the margin finds the
	// spread of a busy machine instead of leaving it at once.
	marginUp   = 2 * time.Millisecond
	marginDown = time.Millisecond / 4
	// laterStep bounds one move later, so a single odd report cannot push
	// frames far past the refresh; reports come once a second, so a session
	// that starts in the worst phase locks within about five seconds.
	laterStep = 5 * time.Millisecond
	// earlierStep is the move after frames missed the refresh: larger than
	// laterStep, so the schedule backs well away from the edge it crossed.
	earlierStep = 4 * time.Millisecond
	// missedLimit is the share of frames the display may skip before the
	// schedule moves earlier: a skipped frame means frames arrive so close
	// to the refresh that some miss it. At 60 fps any skipped frame in a
	// one-second report is over it; p99 must not see a missed refresh.
	missedLimit = 0.01
)

// phaseLock is the phase-locking state of one session: the margin it has
// learnt. It lives on the session loop; nothing else touches it.
type phaseLock struct {
	margin time.Duration
}

func newPhaseLock() *phaseLock { return &phaseLock{margin: startMargin} }

// shift is how far to move the frame schedule after a report: positive is
// later (frames were waiting long for the refresh), negative earlier
// (frames were missing it). It adapts the margin on the way.
func (p *phaseLock) shift(r input.Event, interval time.Duration) time.Duration {
	if r.Frames == 0 || r.Refresh <= 0 {
		return 0
	}
	// A display refreshing at another rate than the title renders has no
	// fixed phase to lock to.
	if d := r.Refresh - interval; d < -interval/20 || d > interval/20 {
		return 0
	}
	if float64(r.Missed) > missedLimit*float64(r.Frames+r.Missed) {
		p.margin = min(p.margin+marginUp, maxMargin)
		return -earlierStep
	}
	if r.Missed == 0 {
		p.margin = max(p.margin-marginDown, minMargin)
	}
	if excess := r.WaitP10 - p.margin; excess > time.Millisecond/2 {
		// Halfway each time: the waits of the next second already show
		// the move, and halving never overshoots into missed refreshes.
		return min(excess/2, laterStep)
	}
	return 0
}
