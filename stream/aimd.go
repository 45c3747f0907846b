package stream

import (
	"math"
	"time"
)

// aimd is the delay-based rate: GCC's overuse detector (Pion's, through
// its stats) says whether a queue is growing, and this sets the target from
// that and from the acknowledged rate (ackedRate). It replaces Pion's rate
// controller, which fell short on a link whose capacity changes
// (benchmarks/README.md, "Real networks: rate control"):
//   - its decrease is 0.85 × the received rate it measured at the moment
//     of overuse; at a drop from 20 to 1.5 Mbit/s that measurement came out
//     near nothing in the loss of the first moments and the target fell to
//     the 0.5 Mbit/s floor;
//   - it climbs 8 % a second at most, and never over 1.5 × the received
//     rate: after a congestion episode the encoder, stepped down to a
//     small picture, sends little, and the target took tens of seconds
//     back to what the link carried again.
//
// Here a decrease takes 0.85 × the rate the path delivered while busy
// (ackedSample.Busy), and halves the target at most every
// aimdBlindCutEvery while there is no such measurement. An increase is
// fast (×1.5 a second) away from the rate the last congestion happened
// at, and GCC's 8 % a second from 10 % under it up, while that rate is
// believed. The target stays within 1.5 × what arrived, or aimdHeadroom
// over it, whichever is more: an encoder on a lower rung or a quiet
// picture sends far less than the target, and the quality ladder must
// still see the room to step up. The step up is the probe: if the path
// cannot carry it, the detector sees the queue and the rate backs off to
// what the path delivered.
//
// Not safe for concurrent use: the peer calls it under rateMu.
type aimd struct {
	min, max int
	target   float64
	last     time.Time // last update, for the increase's time scale

	capacity   float64   // acknowledged rate at the last decrease
	decreaseAt time.Time // when it was measured
	blindCutAt time.Time // the last decrease without a measurement
}

const (
	aimdBeta = 0.85 // GCC's decrease: a share of what the path carried
	// aimdBlindCut is the decrease without an acknowledged rate, at most
	// once per aimdBlindCutEvery: GCC's draft response time, so that one
	// queue is answered once.
	aimdBlindCut      = 0.5
	aimdBlindCutEvery = 200 * time.Millisecond
	aimdSlowPerSec    = 1.08 // GCC's multiplicative increase
	aimdFastPerSec    = 1.5
	// aimdNear: from this share under the last congestion's rate up,
	// the increase is slow, for aimdCapacityFor after it or until the
	// path delivers aimdGrown times that rate while busy; then the
	// capacity may have changed (a path that recovers) and is probed
	// fast again. So is it while the encoder sends too little to measure:
	// a stream that small congests nothing, and the ladder's step up
	// that the growing target brings is what measures the path again.
	aimdNear        = 0.1
	aimdCapacityFor = 10 * time.Second
	aimdGrown       = 1.5
	// aimdHeadroom is how far over the acknowledged rate the target may
	// grow: enough for the ladder to see the next rung's margin (540p60
	// asks 2.6 Mbit/s, 720p60 4.55) from what a game sends on the rung
	// below, bounded so that a quiet picture does not leave a target the
	// path has never carried.
	aimdHeadroom = 3_000_000
)

func newAIMD(minBps, startBps, maxBps int) *aimd {
	return &aimd{min: minBps, max: maxBps, target: float64(min(max(startBps, minBps), maxBps))}
}

// delaySignal is what one feedback says about the path.
type delaySignal struct {
	Usage    string // GCC's detector: "overuse", "normal" or "underuse"
	Standing bool   // a queue has stood for standingFor (ackedRate.queueing)
	Acked    ackedSample
}

// aimdKeptUp: a window whose packets arrived at least this share as fast
// as they were sent was carried whole, and an overuse signal in it comes
// from a burst (a keyframe, a rung's first picture) queueing for a moment,
// not from a rate over capacity. Cutting to what arrived then took a
// sender whose encoder used half its target down to half of what it
// sent, and the ladder with it.
const aimdKeptUp = 0.9

// update folds one feedback's signal in at now and returns the target.
func (c *aimd) update(now time.Time, s delaySignal) int {
	dt := 0.0
	if !c.last.IsZero() {
		dt = min(now.Sub(c.last).Seconds(), 1)
	}
	c.last = now
	overuse := s.Usage == "overuse"
	a := s.Acked
	burst := overuse && !s.Standing && a.Known && a.KeptUp >= aimdKeptUp
	switch {
	case (overuse || s.Standing) && !burst:
		switch {
		case a.Known:
			c.target = min(c.target, aimdBeta*float64(a.Busy))
			c.capacity, c.decreaseAt = float64(a.Busy), now
		case now.Sub(c.blindCutAt) >= aimdBlindCutEvery:
			c.target *= aimdBlindCut
			c.blindCutAt = now
		}
	case burst, s.Usage == "underuse":
		// Hold: a burst's queue, or a queue that drains.
	default:
		if a.Known && float64(a.Busy) >= aimdGrown*c.capacity {
			c.capacity = 0 // the path carries more than it did: probe fast
		}
		perSec := aimdFastPerSec
		if a.Known && c.capacity > 0 && now.Sub(c.decreaseAt) < aimdCapacityFor && c.target >= (1-aimdNear)*c.capacity {
			perSec = aimdSlowPerSec
		}
		next := c.target * math.Pow(perSec, dt)
		if a.Known {
			ceiling := max(1.5*float64(a.Rate), float64(a.Rate)+aimdHeadroom)
			// A ceiling never lowers the target: only congestion does.
			next = min(next, max(ceiling, c.target))
		}
		c.target = next
	}
	c.target = min(max(c.target, float64(c.min)), float64(c.max))
	return int(c.target)
}
