package stream

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// runAIMD gives the controller one sample per feedback interval for d and
// returns the last target.
func runAIMD(c *aimd, now *time.Time, d time.Duration, s delaySignal) int {
	const feedback = 100 * time.Millisecond
	t := 0
	for end := now.Add(d); now.Before(end); *now = now.Add(feedback) {
		t = c.update(*now, s)
	}
	return t
}

func TestAIMD(t *testing.T) {
	type phase struct {
		usage string
		acked int // 0: unknown
		dur   time.Duration
		// keptUp is the share of the sending pace the path kept (0
		// means 0.5: a congested path, unless the case says otherwise);
		// standing, a queue that stood.
		keptUp   float64
		standing bool
		train    int // the trains' rate, 0: unknown
	}
	for _, c := range []struct {
		name            string
		start           int
		phases          []phase
		atLeast, atMost int
	}{
		{"overuse backs off to 0.85 of what arrived", 9_000_000,
			[]phase{{usage: "overuse", acked: 1_500_000, dur: 100 * time.Millisecond}}, 1_275_000, 1_275_000},
		{"overuse never raises the target", 1_000_000,
			[]phase{{usage: "overuse", acked: 4_000_000, dur: time.Second}}, 1_000_000, 1_000_000},
		// Three feedbacks of overuse with nothing measured: one halving
		// per 200 ms, not one per feedback.
		{"blind overuse halves at most every 200 ms", 8_000_000,
			[]phase{{usage: "overuse", acked: 0, dur: 300 * time.Millisecond}}, 2_000_000, 2_000_000},
		// The path carried all that was sent, at the pace it was sent:
		// the queue was a keyframe's, and the encoder's low rate says
		// nothing of the link.
		{"a burst's queue holds", 3_000_000,
			[]phase{{usage: "overuse", acked: 800_000, dur: time.Second, keptUp: 0.95}}, 3_000_000, 3_000_000},
		{"a standing queue backs off even when the detector sees none", 3_000_000,
			[]phase{{usage: "normal", acked: 2_000_000, dur: 100 * time.Millisecond, keptUp: 0.95, standing: true}}, 1_700_000, 1_700_000},
		// After a decrease the queue drains for a while and still stands;
		// the encoder, repaying an IDR, sends a trough the path keeps pace
		// with. That trough is not what the path carries.
		{"a queue that drains after a decrease holds", 3_000_000,
			[]phase{{usage: "overuse", acked: 2_000_000, dur: 100 * time.Millisecond},
				{usage: "normal", acked: 500_000, dur: 800 * time.Millisecond, keptUp: 0.99, standing: true}}, 1_700_000, 1_700_000},
		// The first reading of what the path carried is believed for two
		// seconds; a queue that still stands after that backs off to what
		// the path carries now.
		{"a queue that stands on backs off again", 3_000_000,
			[]phase{{usage: "overuse", acked: 2_000_000, dur: 100 * time.Millisecond},
				{usage: "normal", acked: 1_000_000, dur: 1900 * time.Millisecond, keptUp: 0.99, standing: true}}, 1_700_000, 1_700_000},
		{"a queue that stands on backs off again later", 3_000_000,
			[]phase{{usage: "overuse", acked: 2_000_000, dur: 100 * time.Millisecond},
				{usage: "normal", acked: 1_000_000, dur: 3000 * time.Millisecond, keptUp: 0.99, standing: true}}, 850_000, 850_000},
		// A low reading amid high ones is the encoder's trough, not the
		// path.
		{"a decrease takes the most the path carried lately", 3_000_000,
			[]phase{{usage: "normal", acked: 2_000_000, dur: 300 * time.Millisecond, keptUp: 0.8},
				{usage: "overuse", acked: 900_000, dur: 100 * time.Millisecond}}, 1_700_000, 1_700_000},
		// The link narrowed: its trains say so at once, where the busy
		// rates before it still say 3 Mbit/s.
		{"a decrease takes the trains' rate when lower", 6_000_000,
			[]phase{{usage: "normal", acked: 3_000_000, dur: 300 * time.Millisecond, keptUp: 0.8, train: 15_000_000},
				{usage: "overuse", acked: 1_000_000, dur: 100 * time.Millisecond, train: 1_500_000}}, 1_275_000, 1_275_000},
		{"underuse holds", 3_000_000,
			[]phase{{usage: "underuse", acked: 3_000_000, dur: 2 * time.Second}}, 3_000_000, 3_000_000},
		// Away from any congestion: about ×1.5 a second.
		{"far from congestion: fast", 1_000_000,
			[]phase{{usage: "normal", acked: 1_000_000, dur: 2 * time.Second}}, 2_000_000, 2_400_000},
		// Right after a decrease: 2 % a second from where it left the
		// target (1.7 Mbit/s), where fast would be past 3.5.
		{"after a decrease: creeps", 2_000_000,
			[]phase{{usage: "overuse", acked: 2_000_000, dur: 100 * time.Millisecond}, {usage: "normal", acked: 1_700_000, dur: 2 * time.Second}}, 1_750_000, 1_800_000},
		// Once the creep is over, GCC's 8 % a second, however old the
		// congestion: 1.7 Mbit/s creeping 15 s (2.29), then 2 s at 8 %.
		{"old congestion: slow", 2_000_000,
			[]phase{{usage: "overuse", acked: 2_000_000, dur: 100 * time.Millisecond}, {usage: "normal", acked: 1_700_000, dur: 15 * time.Second}, {usage: "normal", acked: 1_700_000, dur: 2 * time.Second}},
			2_550_000, 2_750_000},
		// The path carries what it carried at the congestion without a
		// queue: it grew (a link that recovered), and is probed fast.
		{"a path that carries the old rate without a queue is probed fast", 2_000_000,
			[]phase{{usage: "overuse", acked: 2_000_000, dur: 100 * time.Millisecond}, {usage: "normal", acked: 2_000_000, keptUp: 1, dur: 2 * time.Second}},
			3_500_000, 4_000_000},
		// The sender sends under what the path carried at the
		// congestion, but its trains arrive at ten times that: the link
		// recovered.
		{"a path whose trains arrive faster is probed fast", 2_000_000,
			[]phase{{usage: "overuse", acked: 2_000_000, dur: 100 * time.Millisecond}, {usage: "normal", acked: 1_700_000, keptUp: 1, train: 20_000_000, dur: 2 * time.Second}},
			3_500_000, 4_000_000},
		// A token bucket's burst lets some trains through fast.
		{"trains somewhat faster creep", 2_000_000,
			[]phase{{usage: "overuse", acked: 2_000_000, dur: 100 * time.Millisecond}, {usage: "normal", acked: 1_700_000, keptUp: 1, train: 3_200_000, dur: 2 * time.Second}},
			1_750_000, 1_800_000},
		// The path delivers 1.5 times what it did at the congestion: it
		// grew, and is probed fast at once.
		{"a path that grew is probed fast", 2_000_000,
			[]phase{{usage: "overuse", acked: 2_000_000, dur: 100 * time.Millisecond}, {usage: "normal", acked: 3_000_000, dur: 2 * time.Second}},
			3_500_000, 4_000_000},
		// Too little sent to measure: nothing to congest, so fast.
		{"unmeasured is probed fast", 2_000_000,
			[]phase{{usage: "overuse", acked: 2_000_000, dur: 100 * time.Millisecond}, {usage: "normal", acked: 0, dur: 2 * time.Second}},
			3_500_000, 4_000_000},
		// An encoder that sends little may still leave room for the
		// ladder's top rung, but not for ever more.
		{"headroom over what arrives", 1_000_000,
			[]phase{{usage: "normal", acked: 300_000, dur: 20 * time.Second}}, 3_300_000, 3_300_000},
		{"never over the maximum", 10_000_000,
			[]phase{{usage: "normal", acked: 15_000_000, dur: 20 * time.Second}}, 20_000_000, 20_000_000},
		{"never under the minimum", 1_000_000,
			[]phase{{usage: "overuse", acked: 100_000, dur: time.Second}}, 500_000, 500_000},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAIMD(500_000, c.start, 20_000_000)
			now := time.Unix(1000, 0)
			got := 0
			for _, p := range c.phases {
				kept := p.keptUp
				if kept == 0 {
					kept = 0.5
				}
				acked := ackedSample{Rate: p.acked, Busy: p.acked, KeptUp: kept, Train: p.train, Known: p.acked > 0}
				got = runAIMD(a, &now, p.dur, delaySignal{Usage: p.usage, Standing: p.standing, Acked: acked})
			}
			if got < c.atLeast || got > c.atMost {
				t.Fatalf("target %d, want %d..%d", got, c.atLeast, c.atMost)
			}
		})
	}
}

// tccFeedback reports packets base.. as received every gap (received[i]
// true) or lost, in one transport-cc report.
func tccFeedback(base uint16, received []bool, gap time.Duration) *rtcp.TransportLayerCC {
	fb := &rtcp.TransportLayerCC{BaseSequenceNumber: base, PacketStatusCount: uint16(len(received)), ReferenceTime: 100}
	for _, r := range received {
		sym := uint16(rtcp.TypeTCCPacketNotReceived)
		if r {
			sym = rtcp.TypeTCCPacketReceivedSmallDelta
			fb.RecvDeltas = append(fb.RecvDeltas, &rtcp.RecvDelta{Type: sym, Delta: gap.Microseconds()})
		}
		fb.PacketChunks = append(fb.PacketChunks, &rtcp.RunLengthChunk{PacketStatusSymbol: sym, RunLength: 1})
	}
	return fb
}

func TestAckedRate(t *testing.T) {
	all := func(n int) []bool {
		r := make([]bool, n)
		for i := range r {
			r[i] = true
		}
		return r
	}
	for _, c := range []struct {
		name     string
		received []bool
		twice    bool // the same report arrives again
		want     int  // bits per second, 0: not known
	}{
		// 50 packets of 1,000 bytes 5 ms apart: 400 kbit over 245 ms,
		// spread over at least half the window.
		{"every packet", all(50), false, 1_600_000},
		{"a report repeated counts once", all(50), true, 1_600_000},
		{"lost packets carry nothing", append(all(50), make([]bool, 50)...), false, 1_600_000},
		{"too few packets to say", all(5), false, 0},
		{"too short a span to say", all(12)[:12], false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAckedRate(time.Unix(999, 0))
			for i := range c.received {
				a.onSent(uint16(65500+i), 1000, time.Unix(1000, 0)) // across the wrap of the numbers
			}
			gap := 5 * time.Millisecond
			if c.name == "too short a span to say" {
				gap = time.Millisecond
			}
			fb := tccFeedback(65500, c.received, gap)
			a.feedback(time.Unix(1001, 0), fb)
			if c.twice {
				a.feedback(time.Unix(1001, 0), fb)
			}
			r := a.rate()
			if r.Rate != c.want || r.Known != (c.want > 0) {
				t.Fatalf("rate %d (known %v), want %d", r.Rate, r.Known, c.want)
			}
		})
	}
}

// TestAckedRateClockJump: a report whose clock is far from the others'
// (the receiver's jumped, or one report is garbage) does not leave the
// window refusing every later arrival as too old, nor the trains' window
// holding a train from the other clock.
func TestAckedRateClockJump(t *testing.T) {
	all := make([]bool, 50)
	for i := range all {
		all[i] = true
	}
	a := newAckedRate(time.Unix(999, 0))
	for i := range 100 {
		a.onSent(uint16(i), 1000, time.Unix(1000, 0))
	}
	ahead := tccFeedback(0, all, 5*time.Millisecond)
	ahead.ReferenceTime = 100_000 // 6,400 s later than the next
	a.feedback(time.Unix(1001, 0), ahead)
	// Then packets at half the rate, on the usual clock.
	a.feedback(time.Unix(1001, 0), tccFeedback(50, all, 10*time.Millisecond))
	if r := a.rate(); !r.Known || r.Rate > 900_000 {
		t.Fatalf("rate %d (known %v) after the clock came back, want about 800000", r.Rate, r.Known)
	}
	for _, r := range a.trains.rates {
		if r.at > a.latest {
			t.Fatalf("a train dated %v, after the latest arrival %v, is still in the window", r.at, a.latest)
		}
	}
}

// TestAckedRateBusy: an encoder that sent little for most of the window,
// then a burst the path delivered as fast as it could. The window's rate
// says what was sent; Busy says what the path carries.
func TestAckedRateBusy(t *testing.T) {
	a := newAckedRate(time.Unix(999, 0))
	fb := &rtcp.TransportLayerCC{BaseSequenceNumber: 0, PacketStatusCount: 40, ReferenceTime: 100}
	for i := range 40 {
		a.onSent(uint16(i), 1000, time.Unix(1000, 0))
		gap := 20 * time.Millisecond
		if i >= 20 {
			gap = 5 * time.Millisecond
		}
		fb.RecvDeltas = append(fb.RecvDeltas, &rtcp.RecvDelta{Type: rtcp.TypeTCCPacketReceivedLargeDelta, Delta: gap.Microseconds()})
		fb.PacketChunks = append(fb.PacketChunks, &rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketReceivedLargeDelta, RunLength: 1})
	}
	a.feedback(time.Unix(1001, 0), fb)
	r := a.rate()
	if !r.Known || r.Rate > 800_000 || r.Busy < 1_500_000 || r.Busy > 1_800_000 {
		t.Fatalf("rate %d, busy %d (known %v), want under 0.8 and about 1.6 Mbit/s", r.Rate, r.Busy, r.Known)
	}
}

// TestAIMDFloor: for a second after a delay-based decrease, a loss-driven
// one stops at a share of what the path carried then, not of the trough
// that follows.
func TestAIMDFloor(t *testing.T) {
	a := newAIMD(500_000, 3_000_000, 20_000_000)
	now := time.Unix(1000, 0)
	a.update(now, delaySignal{Usage: "overuse", Acked: ackedSample{Rate: 2_000_000, Busy: 2_000_000, KeptUp: 0.5, Known: true}})
	trough := ackedSample{Rate: 400_000, Busy: 400_000, KeptUp: 1, Known: true}
	if got := a.floor(now.Add(500*time.Millisecond), trough); got != 1_700_000 {
		t.Errorf("floor in the drain %d, want 1700000", got)
	}
	if got := a.floor(now.Add(2*time.Second), trough); got != 340_000 {
		t.Errorf("floor later %d, want 340000", got)
	}
}
