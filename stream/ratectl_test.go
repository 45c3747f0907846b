package stream

import (
	"testing"
	"time"
)

func testGate(start int) *lossGate {
	return newLossGate(lossGateConfig{
		Min: 500_000, Max: 20_000_000,
		LowLoss: gateLowLoss, HighLoss: 0.10,
		DelayWindow: gateDelayWindow, Step: gateStep,
	}, start)
}

// feed gives the gate one sample per feedback interval for d and returns
// the last target.
func feed(g *lossGate, now *time.Time, d time.Duration, s rateSample) int {
	const feedback = 100 * time.Millisecond // a browser's TWCC interval
	t := 0
	for end := now.Add(d); now.Before(end); *now = now.Add(feedback) {
		t = g.update(*now, s)
	}
	return t
}

func TestLossGate(t *testing.T) {
	const start = 4_000_000
	tests := []struct {
		name    string
		sample  rateSample
		dur     time.Duration
		atLeast int
		atMost  int
	}{
		// 3 % random loss: no queue grows, so the delay-based target rules.
		{"random loss holds the rate", rateSample{Delay: start, Loss: 0.03}, 10 * time.Second, start, start},
		// The same loss while the delay detector sees a queue growing is
		// congestion: GCC's rule takes 1.5 % off per step.
		{"loss with delay growth backs off", rateSample{Delay: start, Loss: 0.03, Overuse: true}, 2 * time.Second, 500_000, 3_500_000},
		// Heavy loss backs off even without delay growth: a drop-tail
		// queue that stays full shows no gradient.
		{"heavy loss backs off", rateSample{Delay: start, Loss: 0.2}, 2 * time.Second, 500_000, 2_000_000},
		{"clean path follows delay target", rateSample{Delay: 6_000_000}, 2 * time.Second, 6_000_000, 6_000_000},
		{"never under the minimum", rateSample{Delay: start, Loss: 0.5, Overuse: true}, 20 * time.Second, 500_000, 500_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := testGate(start)
			now := time.Unix(1000, 0)
			got := feed(g, &now, tc.dur, tc.sample)
			if got < tc.atLeast || got > tc.atMost {
				t.Fatalf("target %d after %v of %+v, want %d..%d", got, tc.dur, tc.sample, tc.atLeast, tc.atMost)
			}
		})
	}
}

// After congestion the gate climbs back to the delay-based target within
// seconds, not the tens of seconds Pion's ratchet took.
func TestLossGateRecovers(t *testing.T) {
	g := testGate(20_000_000)
	now := time.Unix(1000, 0)
	low := feed(g, &now, 5*time.Second, rateSample{Delay: 1_500_000, Loss: 0.15, Overuse: true})
	if low > 1_500_000 {
		t.Fatalf("target %d while congested at 1.5 Mbit/s", low)
	}
	// The link opens again: the delay side climbs and the loss clears.
	// Random loss during the climb must not hold it back.
	delay := 1_500_000
	var got int
	for i := 0; i < 100 && got < 19_000_000; i++ { // 10 s of feedback
		delay = min(delay*108/100, 20_000_000)
		got = g.update(now, rateSample{Delay: delay, Loss: 0.03})
		now = now.Add(100 * time.Millisecond)
	}
	if got < 19_000_000 {
		t.Fatalf("target %d after 10 s of open link, want >= 19 Mbit/s (gate %d)", got, g.current())
	}
}

// An overuse signal a while ago does not make today's random loss count as
// congestion.
func TestLossGateDelayWindow(t *testing.T) {
	g := testGate(4_000_000)
	now := time.Unix(1000, 0)
	g.update(now, rateSample{Delay: 4_000_000, Overuse: true})
	now = now.Add(gateDelayWindow / 2)
	if got := g.update(now, rateSample{Delay: 4_000_000, Loss: 0.05}); got >= 4_000_000 {
		t.Fatalf("loss %v after recent overuse: target %d, want a back-off", 0.05, got)
	}
	now = now.Add(2 * gateDelayWindow)
	before := g.current()
	g.update(now, rateSample{Delay: 4_000_000, Loss: 0.05})
	if g.current() < before {
		t.Fatalf("loss long after overuse lowered the gate from %d to %d", before, g.current())
	}
}
