package stream

import (
	"sync"
	"time"
)

// lossGate replaces GCC's loss-based controller: it lets loss back the
// rate off only when the loss comes with delay growth, or is too heavy for
// FEC and NACK to hide.
//
// Pion's loss controller holds its rate between 2 % and 10 % loss but also
// lowers it to every dip of the delay-based target, so on a path with a
// few percent of random loss (Wi-Fi, cellular) the rate ratchets down and
// never climbs back: a player behind 3 % loss got 0.4 Mbit/s. Random loss
// shows no delay gradient, since no queue grows; congestion loss follows a
// queue that filled, which the delay-based detector reports as overuse
// first. Loss without that overuse is left to FEC (sized to it, taken out
// of the encoder's share) and NACK.
//
// The gate's rate is a ceiling on the delay-based target: the final target
// is min(delay-based, gate). Safe for concurrent use.
type lossGate struct {
	cfg lossGateConfig

	mu          sync.Mutex
	rate        int       // the gate's ceiling, bits per second
	lastOveruse time.Time // last time the delay detector saw a growing queue
	lastChange  time.Time // last increase or decrease, paces both
}

// lossGateConfig holds the gate's limits; see Config.
type lossGateConfig struct {
	Min, Max int
	// LowLoss is the loss under which the gate climbs even after overuse,
	// HighLoss the loss above which it backs off even without overuse.
	LowLoss, HighLoss float64
	// DelayWindow is how long after an overuse signal loss still counts as
	// congestion: a loss report trails the queue growth by a round trip
	// and a feedback interval.
	DelayWindow time.Duration
	// Step is the least time between two changes, so that one burst of
	// feedback about one loss event backs off once.
	Step time.Duration
}

// Gate limits that are GCC's own rather than the deployment's.
const (
	// gateLowLoss is the draft's increase threshold: under 2 % loss the
	// rate climbs whatever the delay does.
	gateLowLoss = 0.02
	// gateStep is the draft's 200 ms between loss-based changes.
	gateStep = 200 * time.Millisecond
	// gateDelayWindow: browsers send feedback every 50 to 100 ms and the
	// loss of a packet that met a full queue is reported a round trip
	// after the queue began to grow; a second covers both on a path of
	// up to several hundred milliseconds.
	gateDelayWindow = time.Second
)

// rateSample is what GCC's delay-based side reported after one feedback.
type rateSample struct {
	Delay   int     // delay-based target, bits per second
	Loss    float64 // average transport-wide loss, 0..1
	Overuse bool    // the delay gradient says a queue is growing
	// Floor is where a loss-driven decrease stops (aimd.floor; 0: none):
	// the loss average trails the event by a second, and cutting by it
	// every Step took the rate from what the path carried to the minimum
	// when a link dropped from 20 to 1.5 Mbit/s.
	Floor int
}

// gateDecrease is the GCC draft's decrease rule (section 6): on
// congestion loss the rate is multiplied by 1 - gateDecrease*loss.
const gateDecrease = 0.5

func newLossGate(cfg lossGateConfig, start int) *lossGate {
	return &lossGate{cfg: cfg, rate: min(max(start, cfg.Min), cfg.Max)}
}

// update folds one sample in and returns the target: the delay-based
// target capped by the gate.
func (g *lossGate) update(now time.Time, s rateSample) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s.Overuse {
		g.lastOveruse = now
	}
	if g.lastChange.IsZero() || now.Sub(g.lastChange) >= g.cfg.Step {
		switch {
		case s.Loss > g.cfg.HighLoss || (s.Loss >= g.cfg.LowLoss && g.delayGrowth(now)):
			cut := int(float64(min(g.rate, s.Delay)) * (1 - gateDecrease*s.Loss))
			g.rate = min(g.rate, max(cut, s.Floor))
			g.lastChange = now
		default: // low loss, or random loss: no queue is growing
			// Release the ceiling to the delay-based target, which has
			// its own ramp: holding the gate back here made Pion's
			// climb after a congestion episode take tens of seconds.
			g.rate = s.Delay
			g.lastChange = now
		}
		g.rate = min(max(g.rate, g.cfg.Min), g.cfg.Max)
	}
	return min(max(min(s.Delay, g.rate), g.cfg.Min), g.cfg.Max)
}

// congested reports whether the delay detector saw a growing queue within
// DelayWindow of now: loss now is the queue's overflow, not the path's.
func (g *lossGate) congested(now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.delayGrowth(now)
}

// delayGrowth is congested under g.mu.
func (g *lossGate) delayGrowth(now time.Time) bool {
	return !g.lastOveruse.IsZero() && now.Sub(g.lastOveruse) < g.cfg.DelayWindow
}

// current is the gate's ceiling, for stats and tests.
func (g *lossGate) current() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rate
}
