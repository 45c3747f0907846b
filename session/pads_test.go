package session

import (
	"context"
	"sync"
	"testing"
	"time"

	"stratus/input"
	"stratus/title"
)

// padTitle records which gamepads its events were for.
type padTitle struct {
	title.Title
	mu   sync.Mutex
	pads map[uint8]int
}

func (t *padTitle) Input(ev input.Event) {
	if ev.Kind == input.KindGamepad {
		t.mu.Lock()
		t.pads[ev.Pad]++
		t.mu.Unlock()
	}
	t.Title.Input(ev)
}

func (t *padTitle) seen() map[uint8]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[uint8]int{}
	for k, v := range t.pads {
		out[k] = v
	}
	return out
}

// TestPadLimit attacks the session with events for all 256 pads the wire
// format can name: the title sees the first input.MaxPads only, and the
// rest are counted, not silently lost.
func TestPadLimit(t *testing.T) {
	var pt *padTitle
	s, sk, _, _ := newTest(t, 0, func(c *Config) {
		pt = &padTitle{Title: c.Title, pads: map[uint8]int{}}
		c.Title = pt
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	for round := range 3 {
		var evs []input.Event
		for pad := range 256 {
			evs = append(evs, input.Event{Kind: input.KindGamepad, Seq: uint16(round + 1), Pad: uint8(pad), Buttons: uint32(round + 1)})
		}
		sk.push(evs...)
	}
	want := int64(3 * (256 - input.MaxPads))
	waitUntil(t, 5*time.Second, "the extra pads' events to be counted", func() bool { return s.Stats().ExtraPads == want })
	seen := pt.seen()
	t.Logf("events for 256 pads, 3 rounds: the title saw pads %v; %d events dropped and counted", seen, s.Stats().ExtraPads)
	if len(seen) != input.MaxPads {
		t.Fatalf("title saw %d pads, want %d", len(seen), input.MaxPads)
	}
	for pad, n := range seen {
		if pad >= input.MaxPads || n != 3 {
			t.Errorf("pad %d: %d events reached the title", pad, n)
		}
	}
}
