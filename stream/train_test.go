package stream

import (
	"testing"
	"time"
)

func TestTrains(t *testing.T) {
	const ms = time.Millisecond
	for _, c := range []struct {
		name    string
		frames  int
		sendGap time.Duration   // between a frame's packets
		arrive  []time.Duration // each packet's arrival after the frame's first
		lose    int             // lose each frame's packet of this index (0: none)
		want    int
	}{
		// 1,000-byte packets 4 ms apart: the link's 2 Mbit/s, whatever
		// the frame rate.
		{"a thin link spreads the train", 20, 0, []time.Duration{0, 4 * ms, 8 * ms, 12 * ms}, 0, 2_000_000},
		{"a fast link", 20, 0, []time.Duration{0, 400 * time.Microsecond, 800 * time.Microsecond, 1200 * time.Microsecond}, 0, 20_000_000},
		// Within one tick of the arrival clock: at least 1 packet a tick.
		{"within a tick: a lower bound", 20, 0, []time.Duration{0, 0, 0, 0}, 0, 32_000_000},
		// A token bucket passes the first packets at once; the second
		// half of the train still comes at its rate.
		{"a token bucket's burst is left out", 20, 0, []time.Duration{0, 0, 0, 4 * ms, 8 * ms, 12 * ms}, 0, 2_000_000},
		{"frames of two packets say nothing", 20, 0, []time.Duration{0, 4 * ms}, 0, 0},
		{"too few trains to say", 4, 0, []time.Duration{0, 4 * ms, 8 * ms, 12 * ms}, 0, 0},
		// Paced packets are no train: they arrive as they were sent.
		{"paced packets are no train", 20, 5 * ms, []time.Duration{0, 5 * ms, 10 * ms, 15 * ms}, 0, 0},
		// A loss splits the train; the halves still measure the link.
		{"a loss splits a train", 20, 0, []time.Duration{0, 4 * ms, 8 * ms, 12 * ms, 16 * ms, 20 * ms, 24 * ms, 28 * ms, 32 * ms}, 4, 2_000_000},
	} {
		t.Run(c.name, func(t *testing.T) {
			var tr trains
			frame := 40 * ms
			for f := range c.frames {
				for i, at := range c.arrive {
					k := ack{
						at:     time.Duration(f)*frame + at,
						sentAt: time.Duration(f)*frame + time.Duration(i)*c.sendGap,
						bytes:  1000,
					}
					tr.add(k, c.lose == 0 || i != c.lose)
				}
			}
			tr.add(ack{}, false)
			if got := tr.rate(); got != c.want {
				t.Fatalf("rate %d, want %d", got, c.want)
			}
		})
	}
}
