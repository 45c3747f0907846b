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
// Only a train's second half counts. A token bucket (tc's tbf, a
// provider's shaper) lets a burst of a few kilobytes through at line rate
// while it holds tokens: a 2 Mbit/s tbf passed the first three kilobytes
// of each frame at once, small frames' trains read 20 to 70 Mbit/s, and
// the target, probing fast, ran the queue full every three seconds. By
// the second half of a train of four or more the bucket is mostly empty
// and the packets come at its rate; where a frame of small packets fits
// in it whole, its train still reads fast, so the rate is the first
// quartile of the trains of the last second, not the median.
//
// Not safe for concurrent use: ackedRate calls it under its mu.
type trains struct {
	cur   []ack // the current train
	rates []trainRate
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
	// trainPackets is the least train that says something: its second
	// half is at least a packet pair. trainMaxPackets bounds what one
	// train holds; a keyframe's longer one counts as several.
	trainPackets    = 4
	trainMaxPackets = 64
	// trainTick is the resolution of transport-cc's arrival times: a
	// train that arrived within one says only that the path carries at
	// least its bytes in that time.
	trainTick = 250 * time.Microsecond
	// trainWindow and trainMin: the first quartile of at least trainMin
	// trains that arrived within trainWindow, so that one train queued
	// behind another stream's, or bunched up by a receiver that reads
	// packets in batches, does not decide.
	trainWindow = time.Second
	trainMin    = 5
)

// add takes the next packet of the transport-wide sequence; a lost one
// (received false) ends the train.
func (t *trains) add(k ack, received bool) {
	if n := len(t.cur); !received || n == 0 || n == trainMaxPackets ||
		k.sentAt-t.cur[n-1].sentAt > trainGap || k.at < t.cur[n-1].at {
		t.end()
	}
	if received {
		t.cur = append(t.cur, k)
	}
}

// end records the current train's rate over its second half.
func (t *trains) end() {
	n := len(t.cur)
	if n == 0 {
		return
	}
	last := t.cur[n-1]
	if n >= trainPackets {
		half := t.cur[n/2:]
		bytes := 0
		for _, k := range half[1:] {
			bytes += k.bytes
		}
		span := max(last.at-half[0].at, trainTick)
		t.rates = append(t.rates, trainRate{last.at, float64(bytes*8) / span.Seconds()})
	}
	t.cur = t.cur[:0]
	drop := 0
	for drop < len(t.rates) && t.rates[drop].at < last.at-trainWindow {
		drop++
	}
	t.rates = append(t.rates[:0], t.rates[drop:]...)
}

// rate is the first quartile of the trains' rates, bits per second, or 0
// when too few trains arrived lately to say.
func (t *trains) rate() int {
	if len(t.rates) < trainMin {
		return 0
	}
	bps := make([]float64, len(t.rates))
	for i, r := range t.rates {
		bps[i] = r.bps
	}
	slices.Sort(bps)
	return int(bps[len(bps)/4])
}
