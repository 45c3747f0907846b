package stream

import (
	"slices"
	"time"
)

// trains estimates what the path could carry from how it spread the
// packets the sender sent back to back: the packets of one video frame
// leave within a fraction of a millisecond, and arrive spaced by the
// narrowest link they crossed. A train's arrival rate is at most the
// path's capacity, and equals it when the train was sent faster, whatever
// the encoder's average. The acknowledged rate cannot say this: a sender
// under the path's capacity sees its own rate acknowledged, so a link that
// recovered (1.5 back to 20 Mbit/s) looked the same as one the rate just
// fits, and the target crept up for many seconds.
//
// Not safe for concurrent use: ackedRate calls it under its mu.
type trains struct {
	first, last ack
	n, bytes    int // packets in the current train; bytes after its first
	rates       []trainRate
}

type trainRate struct {
	at  time.Duration // the train's last arrival, player's clock
	bps float64
}

const (
	// trainGap: packets sent this close follow each other in one
	// write burst; a frame's packets leave 10 to 30 µs apart, and the
	// send times have a resolution of 100 µs.
	trainGap = 300 * time.Microsecond
	// trainTick is the resolution of transport-cc's arrival times: a
	// train that arrived within one says only that the path carries at
	// least its bytes in that time.
	trainTick = 250 * time.Microsecond
	// trainWindow and trainMin: the median of at least trainMin trains
	// that arrived within trainWindow, so that one train queued behind
	// another stream's, or bunched up by a receiver that reads packets
	// in batches, does not decide.
	trainWindow = time.Second
	trainMin    = 5
)

// add takes the next packet of the transport-wide sequence; a lost one
// (received false) ends the train.
func (t *trains) add(k ack, received bool) {
	if !received || t.n == 0 || k.sentAt-t.last.sentAt > trainGap || k.at < t.last.at {
		t.end()
		if !received {
			return
		}
		t.first, t.n, t.bytes = k, 0, 0
	} else {
		t.bytes += k.bytes
	}
	t.last = k
	t.n++
}

// end records the current train's rate, if it has two packets or more.
func (t *trains) end() {
	if t.n >= 2 {
		span := max(t.last.at-t.first.at, trainTick)
		t.rates = append(t.rates, trainRate{t.last.at, float64(t.bytes*8) / span.Seconds()})
	}
	t.n = 0
	drop := 0
	for drop < len(t.rates) && t.rates[drop].at < t.last.at-trainWindow {
		drop++
	}
	t.rates = append(t.rates[:0], t.rates[drop:]...)
}

// rate is the median train's rate, bits per second, or 0 when too few
// trains arrived lately to say.
func (t *trains) rate() int {
	if len(t.rates) < trainMin {
		return 0
	}
	bps := make([]float64, len(t.rates))
	for i, r := range t.rates {
		bps[i] = r.bps
	}
	slices.Sort(bps)
	return int(bps[len(bps)/2])
}
