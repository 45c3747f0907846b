package netem

import (
	"testing"
	"time"
)

func TestLinkDelay(t *testing.T) {
	ns, l := newLinked(t, Impairment{})
	addr := echo(t, ns)
	for _, tc := range []struct {
		name          string
		delay, jitter time.Duration
	}{
		{"none", 0, 0},
		{"20ms", 20 * time.Millisecond, 0},
		{"20ms±5ms", 20 * time.Millisecond, 5 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := l.Set(Symmetric(Shape{Delay: tc.delay, Jitter: tc.jitter})); err != nil {
				t.Fatal(err)
			}
			d := rtts(t, addr, 100, 2*time.Millisecond)
			if len(d) != 100 {
				t.Fatalf("%d of 100 pings came back over a lossless link", len(d))
			}
			set := 2 * tc.delay
			// Jitter draws each way from Delay ± Jitter, but order is kept,
			// so a packet waits for a later-drawn predecessor: the minimum
			// is only bounded by the floor of the two draws.
			floor := set - 2*tc.jitter
			p50 := quantile(d, 0.5)
			t.Logf("set RTT %v ± %v: min %v p50 %v p99 %v", set, 2*tc.jitter, d[0], p50, quantile(d, 0.99))
			if d[0] < floor {
				t.Errorf("min RTT %v below the set %v", d[0], floor)
			}
			if p50 < set-tc.jitter || p50 > set+15*time.Millisecond {
				t.Errorf("p50 RTT %v: want %v to %v", p50, set-tc.jitter, set+15*time.Millisecond)
			}
		})
	}
}
