package stream

import (
	"sync"
	"time"
)

// keyframeInterval merges keyframe requests: a browser that lost a
// keyframe's packets sends PLI after PLI, and every IDR is several times the
// size of a normal frame, which causes more loss on a link that is already
// losing. One IDR per interval is enough to recover.
const keyframeInterval = 100 * time.Millisecond

// keyframeGate passes at most one request per interval to fire. A request
// inside the interval is not lost but postponed to its end, since the IDR
// that answered the earlier one may be what went missing.
//
// Safe for concurrent use. fire runs without the gate's lock held, on the
// caller's goroutine or a timer's.
type keyframeGate struct {
	interval time.Duration
	fire     func()

	mu      sync.Mutex
	last    time.Time
	pending *time.Timer
	stopped bool
}

func (g *keyframeGate) request() {
	g.mu.Lock()
	if g.stopped || g.pending != nil {
		g.mu.Unlock()
		return
	}
	if wait := g.interval - time.Since(g.last); wait > 0 && !g.last.IsZero() {
		g.pending = time.AfterFunc(wait, g.fireLater)
		g.mu.Unlock()
		return
	}
	g.last = time.Now()
	g.mu.Unlock()
	g.fire()
}

func (g *keyframeGate) fireLater() {
	g.mu.Lock()
	g.pending = nil
	if g.stopped {
		g.mu.Unlock()
		return
	}
	g.last = time.Now()
	g.mu.Unlock()
	g.fire()
}

// stop cancels a postponed request; later requests are ignored.
func (g *keyframeGate) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopped = true
	if g.pending != nil {
		g.pending.Stop()
		g.pending = nil
	}
}
