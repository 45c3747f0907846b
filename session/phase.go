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
const (
	// phaseMargin is how long before the refresh the earliest frames (the
	// 10th percentile) should be ready: enough to absorb the spread of
	// encode and decode times on a busy machine.
	phaseMargin = 4 * time.Millisecond
	// laterStep bounds one move later, so a single odd report cannot push
	// frames far past the refresh; reports come once a second, so a session
	// that starts in the worst phase locks within about five seconds.
	laterStep = 5 * time.Millisecond
	// earlierStep is the move after frames missed the refresh: larger than
	// laterStep, so the schedule backs well away from the edge it crossed.
	earlierStep = 4 * time.Millisecond
	// missedLimit is the share of frames the display may skip before the
	// schedule moves earlier: a skipped frame means frames arrive so close
	// to the refresh that some miss it.
	missedLimit = 0.03
)

// phaseShift is how far to move the frame schedule after a report:
// positive is later (frames were waiting long for the refresh), negative
// earlier (frames were missing it).
func phaseShift(r input.Event, interval time.Duration) time.Duration {
	if r.Frames == 0 || r.Refresh <= 0 {
		return 0
	}
	// A display refreshing at another rate than the title renders has no
	// fixed phase to lock to.
	if d := r.Refresh - interval; d < -interval/20 || d > interval/20 {
		return 0
	}
	if float64(r.Missed) > missedLimit*float64(r.Frames+r.Missed) {
		return -earlierStep
	}
	if excess := r.WaitP10 - phaseMargin; excess > time.Millisecond/2 {
		// Halfway each time: the waits of the next second already show
		// the move, and halving never overshoots into missed refreshes.
		return min(excess/2, laterStep)
	}
	return 0
}
