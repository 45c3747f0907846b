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
// Here a decrease takes 0.85 × the most the path delivered while busy
// (ackedSample.Busy) over the last aimdLimitedFor, or the rate its packet
// trains arrived at (ackedSample.Train) when far less, holds while the queue
// it answered drains, and halves the target at most every
// aimdBlindCutEvery while there is no such measurement. An increase is
// fast (×1.5 a second) well under where the last decrease left the
// target, creeps (2 % a second) from there for 15 seconds, and then goes
// GCC's 8 % a second until the path shows it carries more, in its busy
// rate or in how fast its trains arrive. The target stays within 1.5 ×
// what arrived, or aimdHeadroom over it, whichever is more: an encoder on
// a lower rung or a quiet picture sends far less than the target, and the
// quality ladder must still see the room to step up. The step up is the
// probe: if the path cannot carry it, the detector sees the queue and the
// rate backs off to what the path delivered.
//
// Not safe for concurrent use: the peer calls it under rateMu.
type aimd struct {
	min, max int
	target   float64
	last     time.Time // last update, for the increase's time scale

	capacity   float64   // what the path carried at the last decrease
	decreaseAt time.Time // when it was measured
	blindCutAt time.Time // the last decrease without a measurement

	// limited holds the busy rates of recent feedback taken while the
	// path, not the sender, set the pace (it spread the packets out, or a
	// queue stood), for aimdLimitedFor: the path's capacity, as a
	// windowed maximum.
	limited []limitedSample
}

type limitedSample struct {
	at   time.Time
	busy float64
}

// aimdLimitedFor is how long a busy rate the path set is believed. The
// busy rate of one feedback swings with what the encoder happened to send
// in its last 100 ms: at a standing queue on a 2 Mbit/s path it read
// anywhere from 0.9 to 1.97 Mbit/s, and a decrease to 0.85 of a low
// reading starved the picture and, once the path was found to carry more,
// set off a fast probe that filled the queue again. Two seconds hold
// several frames' bursts and are short next to a change of capacity worth
// following (the cut after one is at most that late, and aimdDrainFor
// repeats it).
const aimdLimitedFor = 2 * time.Second

// aimdNarrowed: trains this much slower than the busy rates of the last
// aimdLimitedFor mean the link narrowed (20 to 1.5 Mbit/s: 0.6). Closer
// to them, the busy rate decides: behind a steady 2 Mbit/s bottleneck the
// trains' first quartile reads a little under it, and the path carries
// what it carried.
const aimdNarrowed = 0.75

// aimdQueued: a feedback whose packets all queued this long was sent while
// the path was busy, however well it kept pace over the window: its busy
// rate is the path's.
const aimdQueued = 10 * time.Millisecond

const (
	aimdBeta = 0.85 // GCC's decrease: a share of what the path carried
	// aimdBlindCut is the decrease without an acknowledged rate, at most
	// once per aimdBlindCutEvery: GCC's draft response time, so that one
	// queue is answered once.
	aimdBlindCut      = 0.5
	aimdBlindCutEvery = 200 * time.Millisecond
	aimdSlowPerSec    = 1.08 // GCC's multiplicative increase
	aimdFastPerSec    = 1.5
	// aimdNear: from this share under where the last decrease left the
	// target up, the increase is slow until the path delivers aimdGrown
	// times the rate it carried then, or its trains arrive at
	// aimdTrainGrown times it; then the capacity has changed (a path
	// that recovers) and is probed fast again. So is it while the encoder
	// sends too little to measure: a stream that small congests nothing,
	// and the ladder's step up that the growing target brings is what
	// measures the path again. Forgetting the capacity after ten seconds
	// instead sent a 2 Mbit/s bottleneck's target from 2.1 to 2.5 Mbit/s
	// in half a second, and a frame 270 ms late.
	aimdNear  = 0.1
	aimdGrown = 1.5
	// aimdTrainGrown is higher: behind a token bucket the trains of
	// frames of small packets pass in its burst, and on a 2 Mbit/s tbf
	// their first quartile read up to 3.2 Mbit/s, where a link that came
	// back from 1.5 to 20 Mbit/s read 12 to 17.
	aimdTrainGrown = 3
	// aimdProbePerSec: from where the last decrease left it, for
	// aimdProbeFor after it, the target creeps. The busy rate counts RTP
	// bytes only, and a path's headers, audio and data channels come on
	// top, so the queue comes back before the target is back at the
	// rate the congestion happened at. At 8 % a second it grew 40 ms in
	// the time the standing-queue rule takes to see it, and each cycle of
	// a 2 Mbit/s bottleneck showed as 60 to 80 ms more glass-to-glass;
	// at 2 % it stands at about the rule's 15 ms when the cut comes.
	aimdProbePerSec = 1.02
	aimdProbeFor    = 15 * time.Second
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
	// Queue is how long the latest feedback's packets queued at least.
	Queue time.Duration
	Acked ackedSample
}

// aimdKeptUp: a window whose packets arrived at least this share as fast
// as they were sent was carried whole, and an overuse signal in it comes
// from a burst (a keyframe, a rung's first picture) queueing for a moment,
// not from a rate over capacity. Cutting to what arrived then took a
// sender whose encoder used half its target down to half of what it
// sent, and the ladder with it.
const aimdKeptUp = 0.9

// aimdDrainFor: after a decrease, the queue that caused it takes a while
// to drain (a 100 ms queue at 2 Mbit/s drains in half a second at 85 % of
// its rate), and the detector and the standing-queue rule keep reporting
// it. While the path keeps pace with the sending in that time, the rate is
// already under what the path carries and holds: cutting again to what
// arrived then took a 2 Mbit/s path's target to the floor, because the
// encoder, repaying an IDR's overshoot, sent a trough of small frames.
const aimdDrainFor = time.Second

// update folds one feedback's signal in at now and returns the target.
func (c *aimd) update(now time.Time, s delaySignal) int {
	dt := 0.0
	if !c.last.IsZero() {
		dt = min(now.Sub(c.last).Seconds(), 1)
	}
	c.last = now
	overuse := s.Usage == "overuse"
	a := s.Acked
	keptUp := a.Known && a.KeptUp >= aimdKeptUp
	burst := overuse && !s.Standing && keptUp
	draining := keptUp && !c.decreaseAt.IsZero() && now.Sub(c.decreaseAt) < aimdDrainFor
	c.forget(now)
	if a.Known && (!keptUp || s.Standing || s.Queue >= aimdQueued) {
		c.limited = append(c.limited, limitedSample{now, float64(a.Busy)})
	}
	switch {
	case (overuse || s.Standing) && (burst || draining):
		// Hold: a burst's queue, or the queue the last decrease drains.
	case overuse || s.Standing:
		switch {
		case a.Known:
			capacity := c.pathRate(float64(a.Busy))
			if a.Train > 0 && float64(a.Train) < aimdNarrowed*capacity {
				// A link that narrowed: its trains say so within a
				// few frames, where the busy rates of the last two
				// seconds still hold what it carried before, and the
				// target held the queue full for seconds.
				capacity = float64(max(a.Train, a.Busy))
			}
			c.target = min(c.target, aimdBeta*capacity)
			c.capacity, c.decreaseAt = capacity, now
		case now.Sub(c.blindCutAt) >= aimdBlindCutEvery:
			c.target *= aimdBlindCut
			c.blindCutAt = now
		}
	case s.Usage == "underuse":
		// Hold: a queue that drains.
	default:
		if a.Known && (float64(a.Busy) >= aimdGrown*c.capacity || float64(a.Train) >= aimdTrainGrown*c.capacity ||
			float64(a.Rate) >= c.capacity && keptUp && s.Queue < aimdQueued/2) {
			// The path carries more than it did, in a burst, in its
			// trains or over the window without a queue: probe fast.
			c.capacity = 0
		}
		perSec := aimdFastPerSec
		if a.Known && c.capacity > 0 {
			since := now.Sub(c.decreaseAt)
			switch {
			case since < aimdProbeFor && c.target >= aimdBeta*c.capacity:
				perSec = aimdProbePerSec
			case c.target >= (1-aimdNear)*aimdBeta*c.capacity:
				perSec = aimdSlowPerSec
			}
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

// forget drops the busy rates older than aimdLimitedFor.
func (c *aimd) forget(now time.Time) {
	drop := 0
	for drop < len(c.limited) && now.Sub(c.limited[drop].at) > aimdLimitedFor {
		drop++
	}
	c.limited = append(c.limited[:0], c.limited[drop:]...)
}

// pathRate is the most the path carried while it set the pace, over
// aimdLimitedFor, or busy if more.
func (c *aimd) pathRate(busy float64) float64 {
	for _, l := range c.limited {
		busy = max(busy, l.busy)
	}
	return busy
}

// floor is the rate a loss-driven decrease should not go under: a share of
// what the path carried at the latest delay-based decrease, for
// aimdDrainFor after it, else of what it carries now. The loss average
// trails a congestion episode by a second, and what arrives in that second
// is the trough after the cut, not the path.
func (c *aimd) floor(now time.Time, a ackedSample) int {
	if !c.decreaseAt.IsZero() && now.Sub(c.decreaseAt) < aimdDrainFor {
		return int(aimdBeta * max(c.capacity, float64(a.Busy)))
	}
	return int(aimdBeta * float64(a.Busy))
}
