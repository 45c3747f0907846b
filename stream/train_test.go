package stream

import (
	"testing"
	"time"
)

func TestTrains(t *testing.T) {
	for _, c := range []struct {
		name    string
		frames  int
		packets int           // per frame, sent back to back
		sendGap time.Duration // between a frame's packets
		arrive  time.Duration // between a frame's packets' arrivals
		lose    int           // lose each frame's packet of this index (0: none)
		want    int
	}{
		// 1,000-byte packets 4 ms apart: the link's 2 Mbit/s, whatever
		// the frame rate.
		{"a thin link spreads the train", 20, 4, 0, 4 * time.Millisecond, 0, 2_000_000},
		{"a fast link", 20, 4, 0, 400 * time.Microsecond, 0, 20_000_000},
		// Within one tick of the arrival clock: at least 1 packet a tick.
		{"within a tick: a lower bound", 20, 2, 0, 0, 0, 32_000_000},
		{"too few trains to say", 4, 4, 0, 4 * time.Millisecond, 0, 0},
		// Paced packets are no train: they arrive as they were sent.
		{"paced packets are no train", 20, 4, 5 * time.Millisecond, 5 * time.Millisecond, 0, 0},
		// A loss splits the train; the halves still measure the link.
		{"a loss splits a train", 20, 5, 0, 4 * time.Millisecond, 2, 2_000_000},
	} {
		t.Run(c.name, func(t *testing.T) {
			var tr trains
			frame := 16 * time.Millisecond
			for f := range c.frames {
				for i := range c.packets {
					k := ack{
						at:     time.Duration(f)*frame + time.Duration(i)*c.arrive,
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
