package stream

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
)

// ackedRate measures what the path to the player carried lately, from its
// transport-cc feedback: the bytes of the packets that arrived over the
// last ackedWindow of arrival time (the player's clock), and how long the
// latest ones queued on the way. The rate control backs off to a share of
// the rate on congestion, and takes a standing queue for congestion even
// when GCC's detector, which reads only the delay's growth, sees none: a
// drop-tail queue that stays full grows no more.
//
// onSent is called by every goroutine that sends a packet; the rest by the
// RTCP loop and readers, under mu.
type ackedRate struct {
	// sent holds each packet's send time (in 100 µs since epoch, the
	// upper 48 bits) and size (the lower 16) by transport-wide number,
	// taken (set to 0) when feedback reports it received, so a packet
	// that two feedbacks mention counts once. 65,536 numbers last over
	// 10 s at 20 Mbit/s, far longer than feedback takes.
	sent  [1 << 16]atomic.Uint64
	epoch time.Time

	mu     sync.Mutex
	acks   []ack // arrivals within the window, oldest first
	bytes  int   // sum over acks
	latest time.Duration
	// One-way delay (player's arrival less our send time; the clocks'
	// offset cancels out against the least one seen): the least over two
	// owdBucket-long buckets, and the least queueing of the latest report.
	owdMin    [2]time.Duration
	owdBucket time.Time
	queue     time.Duration
	highSince time.Time // since when reports have queued over standingQueue
	trains    trains
}

type ack struct {
	at     time.Duration // arrival, player's clock
	sentAt time.Duration // send time, since epoch
	bytes  int
}

const (
	// ackedWindow: GCC's own throughput window. Shorter follows a
	// keyframe's burst; longer lags a change of capacity.
	ackedWindow = 500 * time.Millisecond
	// ackedMinSpan and ackedMinPackets: less than this says too little
	// for a rate (the first feedback, a link in a deep outage).
	ackedMinSpan    = 100 * time.Millisecond
	ackedMinPackets = 10
	// ackedReset: an arrival this long before the latest is not late
	// feedback but a receiver's clock that jumped (or one report that
	// did): the window starts again from it. Without that every later
	// arrival counted as too old until the clock caught up, and the rate
	// went unknown for the rest of a session at 20 Mbit/s again.
	ackedReset = 2 * time.Second
	// owdBucket: the least delay is remembered for one to two of these,
	// so that a route that changed is learnt within half a minute.
	owdBucket = 15 * time.Second
)

func newAckedRate(now time.Time) *ackedRate { return &ackedRate{epoch: now} }

// onSent notes the size and send time of the packet numbered n.
func (a *ackedRate) onSent(n uint16, size int, now time.Time) {
	t := uint64(now.Sub(a.epoch) / (100 * time.Microsecond))
	a.sent[n].Store(t<<16 | uint64(min(size, 1<<16-1)))
}

// feedback folds one transport-cc report in, received at now.
func (a *ackedRate) feedback(now time.Time, fb *rtcp.TransportLayerCC) {
	a.mu.Lock()
	defer a.mu.Unlock()
	seq := fb.BaseSequenceNumber
	at := time.Duration(fb.ReferenceTime) * 64 * time.Millisecond
	deltas := fb.RecvDeltas
	left := int(fb.PacketStatusCount)
	least := time.Duration(1<<63 - 1) // the report's least one-way delay
	visit := func(symbol uint16) {
		if symbol == rtcp.TypeTCCPacketReceivedSmallDelta || symbol == rtcp.TypeTCCPacketReceivedLargeDelta {
			if len(deltas) > 0 {
				at += time.Duration(deltas[0].Delta) * time.Microsecond
				deltas = deltas[1:]
			}
			if v := a.sent[seq].Swap(0); v != 0 {
				sentAt := time.Duration(v>>16) * 100 * time.Microsecond
				k := ack{at, sentAt, int(v & (1<<16 - 1))}
				a.add(k)
				a.trains.add(k, true)
				least = min(least, at-sentAt)
			}
		} else {
			a.trains.add(ack{}, false)
		}
		seq++
		left--
	}
	for _, c := range fb.PacketChunks {
		switch c := c.(type) {
		case *rtcp.RunLengthChunk:
			for i := 0; i < int(c.RunLength) && left > 0; i++ {
				visit(c.PacketStatusSymbol)
			}
		case *rtcp.StatusVectorChunk:
			for _, s := range c.SymbolList {
				if left <= 0 {
					break
				}
				visit(s)
			}
		}
	}
	if least < 1<<63-1 {
		a.owd(now, least)
	}
}

// owd takes a report's least one-way delay: its queueing is what it has
// over the least of the last one or two buckets. The report's least, not
// its mean, so that jitter on a single packet is not read as a queue.
func (a *ackedRate) owd(now time.Time, d time.Duration) {
	if a.owdBucket.IsZero() {
		a.owdMin = [2]time.Duration{d, d}
		a.owdBucket = now
	}
	if now.Sub(a.owdBucket) >= owdBucket {
		a.owdMin = [2]time.Duration{a.owdMin[1], d}
		a.owdBucket = now
	}
	a.owdMin[1] = min(a.owdMin[1], d)
	a.queue = d - min(a.owdMin[0], a.owdMin[1])
	switch {
	case a.queue <= standingQueue:
		a.highSince = time.Time{}
	case a.highSince.IsZero():
		a.highSince = now
	}
}

// queueing is how long the packets of the latest report queued at least,
// and whether reports have queued over standingQueue for standingFor: a
// queue that stands, not the tail of one keyframe's burst.
func (a *ackedRate) queueing(now time.Time) (time.Duration, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.queue, !a.highSince.IsZero() && now.Sub(a.highSince) >= standingFor
}

// add keeps the arrivals sorted well enough: feedback comes in order, and
// an arrival older than the window is dropped.
func (a *ackedRate) add(k ack) {
	if k.at < a.latest-ackedReset {
		a.acks, a.bytes, a.latest = a.acks[:0], 0, k.at
		// The trains' window is on the same clock: a train dated
		// after the jump would stay first in it, never old enough
		// to drop, and hold every later one in with it.
		a.trains.cur, a.trains.rates = a.trains.cur[:0], a.trains.rates[:0]
	}
	a.latest = max(a.latest, k.at)
	if k.at < a.latest-ackedWindow {
		return
	}
	a.acks = append(a.acks, k)
	a.bytes += k.bytes
	drop := 0
	for drop < len(a.acks) && a.acks[drop].at < a.latest-ackedWindow {
		a.bytes -= a.acks[drop].bytes
		drop++
	}
	if drop > 0 {
		a.acks = append(a.acks[:0], a.acks[drop:]...)
	}
}

// ackedSample is what the feedback says of the rate lately.
type ackedSample struct {
	// Rate is the acknowledged rate over ackedWindow, bits per second.
	Rate int
	// Busy is the rate over the latest ackedMinSpan of arrivals, or Rate
	// if more. While a queue stands, or a burst drains, the path is busy
	// and delivers at its capacity; over the whole window an encoder that
	// sends less than the path carries (a small picture, a quiet scene)
	// dilutes it. A decrease takes a share of Busy: a share of Rate took
	// a 2 Mbit/s path's target to a fraction of it after the step down
	// of a rung had left the window half idle.
	Busy int
	// KeptUp is the time the window's packets took to send over the time
	// they took to arrive: near 1 when the path carried all that was
	// sent as it was sent (the sender, not the path, set the rate), under
	// 1 when the path spread them out, its capacity being less than what
	// was sent.
	KeptUp float64
	// Train is the rate the path delivered trains of packets sent back
	// to back at (trains), 0 when unknown: what it could carry, where Rate
	// and Busy say what it did.
	Train int
	// Known is false while the window holds too little to say.
	Known bool
}

// rate reads the window.
func (a *ackedRate) rate() ackedSample {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.acks) < ackedMinPackets {
		return ackedSample{}
	}
	first, last := a.acks[0], a.acks[len(a.acks)-1]
	span := a.latest - first.at
	if span < ackedMinSpan {
		return ackedSample{}
	}
	kept := 1.0
	if last.at > first.at {
		kept = max(min(float64(last.sentAt-first.sentAt)/float64(last.at-first.at), 1), 0)
	}
	r := int(float64(a.bytes*8) / max(span, ackedWindow/2).Seconds())
	busy, bytes := r, 0
	for i := len(a.acks) - 1; i >= 0; i-- {
		bytes += a.acks[i].bytes
		if d := a.latest - a.acks[i].at; d >= ackedMinSpan && len(a.acks)-i >= ackedMinPackets {
			busy = max(busy, int(float64(bytes*8)/d.Seconds()))
			break
		}
	}
	return ackedSample{Rate: r, Busy: busy, KeptUp: kept, Train: a.trains.rate(), Known: true}
}
